import { CronExpressionParser } from 'cron-parser';
import type { FieldProblem } from '@fleet/common';

/**
 * When installs may start: windows open at each cron occurrence (5 fields, or 6 with seconds) in
 * the given time zone and last `durationMinutes`. Downloads are not bound to the window.
 */
export interface MaintenanceWindow {
  cron: string;
  durationMinutes: number;
  timeZone: string;
}

export type WindowState = { open: true; closesAt: Date } | { open: false; opensAt: Date | null };

const MAX_DURATION_MINUTES = 7 * 24 * 60;

export function maintenanceWindowProblems(
  window: MaintenanceWindow,
  field = 'maintenanceWindow',
): FieldProblem[] {
  const problems: FieldProblem[] = [];
  let zoneOk = true;
  try {
    new Intl.DateTimeFormat('en', { timeZone: window.timeZone });
  } catch {
    zoneOk = false;
    problems.push({
      field: `${field}.timeZone`,
      reason: 'must be an IANA time zone such as Asia/Ho_Chi_Minh',
    });
  }
  if (
    !Number.isInteger(window.durationMinutes) ||
    window.durationMinutes < 1 ||
    window.durationMinutes > MAX_DURATION_MINUTES
  )
    problems.push({
      field: `${field}.durationMinutes`,
      reason: `must be a whole number of minutes from 1 to ${MAX_DURATION_MINUTES}`,
    });
  const fields = window.cron.trim().split(/\s+/).length;
  if (fields !== 5 && fields !== 6) {
    problems.push({
      field: `${field}.cron`,
      reason: 'must have 5 fields (minute hour day month weekday) or 6 (with seconds first)',
    });
  } else {
    try {
      const expression = CronExpressionParser.parse(window.cron, {
        ...(zoneOk ? { tz: window.timeZone } : {}),
      });
      expression.next();
    } catch (error) {
      problems.push({
        field: `${field}.cron`,
        reason: `is not a cron expression: ${(error as Error).message}`,
      });
    }
  }
  return problems;
}

/** Whether the window is open at `now`, and when it closes or next opens. */
export function windowState(window: MaintenanceWindow, now: Date): WindowState {
  const durationMs = window.durationMinutes * 60_000;
  // prev() is strictly before currentDate: +1 ms so a window opening exactly now counts as open.
  const previous = CronExpressionParser.parse(window.cron, {
    currentDate: new Date(now.getTime() + 1),
    tz: window.timeZone,
  });
  let lastStart: Date | undefined;
  try {
    lastStart = previous.prev().toDate();
  } catch {
    lastStart = undefined;
  }
  if (lastStart && now.getTime() < lastStart.getTime() + durationMs)
    return { open: true, closesAt: new Date(lastStart.getTime() + durationMs) };
  const upcoming = CronExpressionParser.parse(window.cron, {
    currentDate: now,
    tz: window.timeZone,
  });
  try {
    return { open: false, opensAt: upcoming.next().toDate() };
  } catch {
    return { open: false, opensAt: null };
  }
}
