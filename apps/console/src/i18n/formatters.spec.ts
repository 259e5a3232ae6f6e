import { describe, expect, it } from 'vitest';
import {
  formatDateTime,
  formatQuantity,
  formatReading,
  formatRelative,
  formatTime,
} from './formatters.js';

// Intl output uses narrow no-break spaces in places; compare with plain spaces.
const plain = (text: string): string => text.replace(/[\u00a0\u202f]/g, ' ');

describe('formatters', () => {
  const at = '2026-11-26T13:05:00Z';

  it('shows a time in the site time zone, not the browser one', () => {
    expect(plain(formatDateTime(at, 'en', 'Asia/Ho_Chi_Minh'))).toBe('26 Nov 2026, 20:05 GMT+7');
    expect(plain(formatDateTime(at, 'en', 'Europe/Paris'))).toBe('26 Nov 2026, 14:05 CET');
    expect(formatTime(new Date(at), 'en', 'Asia/Ho_Chi_Minh')).toBe('20:05');
  });

  it('writes Vietnamese dates the Vietnamese way', () => {
    const text = plain(formatDateTime(at, 'vi', 'Asia/Ho_Chi_Minh'));
    expect(text).toContain('20:05');
    expect(text).toContain('2026');
    expect(text).toMatch(/thg 11|tháng 11/);
  });

  it('formats numbers and units for the locale', () => {
    expect(plain(formatQuantity(1234.5, 'kWh', 'en'))).toBe('1,234.5 kWh');
    expect(plain(formatQuantity(1234.5, 'kWh', 'vi'))).toBe('1.234,5 kWh');
    expect(plain(formatQuantity(40, '%', 'en'))).toBe('40%');
    expect(plain(formatQuantity(21.5, '°C', 'vi'))).toBe('21,5°C');
    expect(formatQuantity(3, undefined, 'en')).toBe('3');
  });

  it('says how long ago something happened', () => {
    const now = new Date('2026-11-26T13:08:00Z');
    expect(formatRelative(at, now, 'en')).toBe('3 minutes ago');
    expect(formatRelative(at, now, 'vi')).toBe('3 phút trước');
    expect(formatRelative('2026-11-24T13:08:00Z', now, 'en')).toBe('2 days ago');
  });

  it('shows booleans and flag sets as words', () => {
    const words = { on: 'on', off: 'off' };
    expect(formatReading(true, undefined, 'en', words)).toBe('on');
    expect(formatReading({ lamp_failure: true, overheat: false }, undefined, 'en', words)).toBe(
      'lamp_failure',
    );
    expect(formatReading({ lamp_failure: false }, undefined, 'en', words)).toBe('—');
  });
});
