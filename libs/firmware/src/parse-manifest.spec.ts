import { describe, expect, it } from 'vitest';
import { FirmwareError, FirmwareErrorCode } from './firmware-error.js';
import { parseManifest } from './parse-manifest.js';

const valid = {
  version: '1.4.0',
  kind: 'agent-bundle',
  models: ['edge-gw-2', 'edge-gw-3'],
  hardwareRevisions: ['rev-b'],
  minVersion: '1.2.0',
  sha256: 'ab'.repeat(32),
  size: 1234,
  releaseNotes: 'Faster polling.',
  createdAt: '2026-03-01T08:30:00.000Z',
};

function issuesOf(input: unknown): Record<string, string> {
  try {
    parseManifest(input);
  } catch (error) {
    expect(FirmwareError.is(error, FirmwareErrorCode.INVALID_MANIFEST)).toBe(true);
    const issues = (error as FirmwareError).details.issues ?? [];
    return Object.fromEntries(issues.map((i) => [i.field, i.reason]));
  }
  throw new Error('expected the manifest to be refused');
}

describe('parseManifest', () => {
  it('accepts a complete manifest and returns a plain copy', () => {
    const parsed = parseManifest(valid);
    expect(parsed).toEqual(valid);
    expect(parsed).not.toBe(valid);
    expect(Object.getPrototypeOf(parsed)).toBe(Object.prototype);
  });

  it('accepts a manifest without the optional fields and keeps them absent', () => {
    const { hardwareRevisions: _h, minVersion: _m, ...minimal } = valid;
    const parsed = parseManifest(minimal);
    expect('hardwareRevisions' in parsed).toBe(false);
    expect('minVersion' in parsed).toBe(false);
  });

  it('names every bad field with its reason in one error', () => {
    const issues = issuesOf({
      ...valid,
      version: 'v1.4',
      kind: 'firmware',
      sha256: 'AB'.repeat(32),
      size: 1.5,
      createdAt: '2026-03-01 08:30',
    });
    expect(issues).toEqual({
      'manifest.version': 'must be a semantic version such as 1.4.0 (no leading "v")',
      'manifest.kind': 'must be one of agent-bundle, rauc-bundle',
      'manifest.sha256': 'must be 64 lowercase hex characters (SHA-256)',
      'manifest.size': 'must be a positive whole number of bytes',
      'manifest.createdAt': 'must be an ISO 8601 UTC timestamp like 2026-01-31T12:00:00.000Z',
    });
  });

  it('reports missing required fields as required', () => {
    const { sha256: _s, models: _m, ...rest } = valid;
    expect(issuesOf(rest)).toEqual({
      'manifest.models': 'is required',
      'manifest.sha256': 'is required',
    });
  });

  it('checks model and hardware lists', () => {
    expect(issuesOf({ ...valid, models: [] })['manifest.models']).toBe(
      'must list at least one model',
    );
    expect(issuesOf({ ...valid, models: 'edge-gw-2' })['manifest.models']).toBe(
      'must be a list of models',
    );
    expect(issuesOf({ ...valid, models: ['a', 'a'] })['manifest.models']).toBe(
      'must not repeat models',
    );
    expect(
      issuesOf({ ...valid, hardwareRevisions: ['../x'] })['manifest.hardwareRevisions'],
    ).toMatch(/entries must start with a letter or digit/);
  });

  it('refuses unknown fields and null for optional ones', () => {
    expect(issuesOf({ ...valid, signedBy: 'me' })).toEqual({
      'manifest.signedBy': 'is not a manifest field',
    });
    expect(issuesOf({ ...valid, minVersion: null })).toEqual({
      'manifest.minVersion': 'must be a semantic version such as 1.4.0 (no leading "v")',
    });
  });

  it('refuses sizes a JSON number cannot hold exactly', () => {
    expect(issuesOf({ ...valid, size: 2 ** 53 })['manifest.size']).toBeDefined();
    expect(issuesOf({ ...valid, size: 0 })['manifest.size']).toBeDefined();
  });

  it('refuses a non-object', () => {
    expect(issuesOf([valid])).toEqual({ manifest: 'must be a JSON object' });
  });
});
