import { describe, expect, it } from 'vitest';
import { en } from './messages-en.js';
import { vi } from './messages-vi.js';
import { browserLocale, translator } from './translate.js';

describe('translator', () => {
  it('fills placeholders and formats numbers for the language', () => {
    expect(translator('en')('commands.matches', { count: 12500 })).toBe(
      'The selector matches 12,500 devices.',
    );
    expect(translator('vi')('commands.matches', { count: 12500 })).toBe(
      'Bộ chọn khớp với 12.500 thiết bị.',
    );
  });

  it('chooses singular or plural words by the count', () => {
    expect(translator('en')('commands.matches', { count: 1 })).toBe(
      'The selector matches 1 device.',
    );
    expect(translator('en')('fleet.summary', { count: 0 })).toBe('0 gateways shown');
    expect(translator('vi')('fleet.summary', { count: 1 })).toBe('Đang hiển thị 1 gateway');
  });

  it('has a Vietnamese text for every English message, with the same placeholders', () => {
    const placeholders = (text: string) =>
      [...new Set([...text.matchAll(/\{(\w+)[}|]/g)].map((m) => m[1]))].sort();
    for (const key of Object.keys(en) as (keyof typeof en)[]) {
      expect(vi[key].length, key).toBeGreaterThan(0);
      expect(placeholders(vi[key]), key).toEqual(placeholders(en[key]));
    }
  });

  it('picks Vietnamese for browsers that prefer it', () => {
    expect(browserLocale(['vi-VN', 'en'])).toBe('vi');
    expect(browserLocale(['en-US'])).toBe('en');
  });
});
