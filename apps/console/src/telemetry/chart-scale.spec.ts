import { describe, expect, it } from 'vitest';
import { niceStep, segments, timeTicks, valueAxis, zoneOffsetMs } from './chart-scale.js';

describe('chart scales', () => {
  it('chooses round steps', () => {
    expect(niceStep(100, 5)).toBe(20);
    expect(niceStep(7, 5)).toBe(2);
    expect(niceStep(0.3, 5)).toBeCloseTo(0.1);
  });

  it('covers every value with round bounds', () => {
    expect(valueAxis([212.4, 236.9])).toEqual({
      min: 210,
      max: 240,
      ticks: [210, 215, 220, 225, 230, 235, 240],
    });
    const flat = valueAxis([40, 40]);
    expect(flat.min).toBeLessThan(40);
    expect(flat.max).toBeGreaterThan(40);
  });

  it('puts time ticks on round hours of the site, not of UTC', () => {
    expect(zoneOffsetMs(Date.UTC(2026, 10, 26), 'Asia/Ho_Chi_Minh')).toBe(7 * 3600_000);
    expect(zoneOffsetMs(Date.UTC(2026, 10, 26), 'Asia/Kolkata')).toBe(5.5 * 3600_000);
    const from = Date.UTC(2026, 10, 26, 0, 10);
    const ticks = timeTicks(from, from + 24 * 3600_000, 'Asia/Kolkata');
    expect(ticks.length).toBeGreaterThan(2);
    for (const t of ticks) {
      const local = new Date(t + 5.5 * 3600_000);
      expect(local.getUTCMinutes()).toBe(0);
      expect(local.getUTCHours() % 6).toBe(0);
    }
  });

  it('breaks the line where data is missing', () => {
    const samples = [0, 1, 2, 3, 20, 21, 22].map((m) => ({ t: m * 60_000, v: m }));
    expect(segments(samples).map((s) => s.length)).toEqual([4, 3]);
  });
});
