import { describe, expect, it } from 'vitest';
import { CONSOLE_CSP, consoleFallback } from './console-routes.js';

describe('consoleFallback', () => {
  it('serves the app for page paths', () => {
    for (const path of ['/', '/fleet', '/gateways/0194-abc', '/audit?q=claim', '/sites/']) {
      expect(consoleFallback(path), path).toBe('index');
    }
  });

  it('never shadows the API, docs, health or metrics', () => {
    for (const path of [
      '/api',
      '/api/v1/nothing',
      '/docs',
      '/docs-json',
      '/docs/static/x',
      '/health',
      '/health/live',
      '/metrics',
    ]) {
      expect(consoleFallback(path), path).toBe('not-found');
    }
    expect(consoleFallback('/apiary')).toBe('index');
  });

  it('answers 404 for missing files instead of an HTML page', () => {
    expect(consoleFallback('/favicon.ico')).toBe('not-found');
    expect(consoleFallback('/assets/index-deadbeef.js')).toBe('not-found');
  });

  it('allows nothing from other origins', () => {
    expect(CONSOLE_CSP).toContain("default-src 'self'");
    expect(CONSOLE_CSP).toContain("connect-src 'self'");
    expect(CONSOLE_CSP).not.toMatch(/https?:|\*/);
  });
});
