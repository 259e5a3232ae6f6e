import { describe, expect, it } from 'vitest';
import { maintenanceWindowProblems, windowState } from './maintenance-window.js';

// Weekdays 08:00-12:00 in Da Nang (UTC+7): streetlights are off.
const daytime = { cron: '0 8 * * 1-5', durationMinutes: 240, timeZone: 'Asia/Ho_Chi_Minh' };

describe('windowState', () => {
  it('is open from the cron occurrence for the duration, in the window time zone', () => {
    // Monday 2026-03-02 01:00 UTC = 08:00 in Ho Chi Minh City.
    expect(windowState(daytime, new Date('2026-03-02T01:00:00.000Z'))).toEqual({
      open: true,
      closesAt: new Date('2026-03-02T05:00:00.000Z'),
    });
    expect(windowState(daytime, new Date('2026-03-02T04:59:59.000Z')).open).toBe(true);
  });

  it('is closed before and after, and says when it opens next', () => {
    expect(windowState(daytime, new Date('2026-03-02T00:59:00.000Z'))).toEqual({
      open: false,
      opensAt: new Date('2026-03-02T01:00:00.000Z'),
    });
    expect(windowState(daytime, new Date('2026-03-02T05:00:00.000Z'))).toEqual({
      open: false,
      opensAt: new Date('2026-03-03T01:00:00.000Z'),
    });
    // Friday after the window: next opening is Monday.
    expect(windowState(daytime, new Date('2026-03-06T06:00:00.000Z'))).toEqual({
      open: false,
      opensAt: new Date('2026-03-09T01:00:00.000Z'),
    });
  });

  it('takes a seconds field (6 fields) for short windows', () => {
    const window = { cron: '30 15 10 * * *', durationMinutes: 1, timeZone: 'UTC' };
    expect(windowState(window, new Date('2026-03-02T10:15:29.000Z'))).toEqual({
      open: false,
      opensAt: new Date('2026-03-02T10:15:30.000Z'),
    });
    expect(windowState(window, new Date('2026-03-02T10:15:30.000Z')).open).toBe(true);
  });
});

describe('maintenanceWindowProblems', () => {
  it('names the cron, duration and time zone problems', () => {
    expect(
      maintenanceWindowProblems({
        cron: '61 * * * *',
        durationMinutes: 0,
        timeZone: 'Mars/Olympus',
      }).map((p) => p.field),
    ).toEqual([
      'maintenanceWindow.timeZone',
      'maintenanceWindow.durationMinutes',
      'maintenanceWindow.cron',
    ]);
    expect(
      maintenanceWindowProblems({ cron: '* *', durationMinutes: 10, timeZone: 'UTC' })[0]?.reason,
    ).toMatch(/5 fields/);
    expect(maintenanceWindowProblems(daytime)).toEqual([]);
  });
});
