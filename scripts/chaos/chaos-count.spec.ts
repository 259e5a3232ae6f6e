import { describe, expect, it } from 'vitest';
import { countExecutions, countReadings, readingKey } from './chaos-count.js';

const e = (id: string, deviceId: string, state: string) => ({ id, deviceId, state });

describe('countExecutions', () => {
  it('counts one succeeded execution per targeted device as neither lost nor duplicated', () => {
    const count = countExecutions(
      ['d1', 'd2'],
      [e('x1', 'd1', 'succeeded'), e('x2', 'd2', 'succeeded')],
      2,
    );
    expect(count).toEqual({
      operations: 2,
      succeeded: 2,
      lost: 0,
      duplicated: 0,
      byState: { succeeded: 2 },
      missing: [],
    });
  });

  it('counts a device without an execution, or whose execution did not succeed, as lost', () => {
    const count = countExecutions(
      ['d1', 'd2', 'd3'],
      [e('x1', 'd1', 'expired'), e('x2', 'd2', 'sent')],
    );
    expect(count.lost).toBe(3);
    expect(count.missing).toEqual(['d3']);
    expect(count.byState).toEqual({ expired: 1, sent: 1 });
  });

  it('counts a second execution for a device, and runs beyond the executions, as duplicated', () => {
    const executions = [
      e('x1', 'd1', 'succeeded'),
      e('x2', 'd1', 'succeeded'),
      e('x3', 'd2', 'succeeded'),
    ];
    expect(countExecutions(['d1', 'd2'], executions).duplicated).toBe(1);
    // Three executions ran on devices, but the devices ran the command five times.
    expect(countExecutions(['d1', 'd2'], executions, 5).duplicated).toBe(3);
  });

  it('does not count a run whose result never came back (still delivered) as a duplicate', () => {
    const count = countExecutions(
      ['d1', 'd2'],
      [e('x1', 'd1', 'succeeded'), e('x2', 'd2', 'delivered')],
      2,
    );
    expect(count).toMatchObject({ lost: 1, duplicated: 0 });
  });

  it('does not count the same execution listed twice (paging overlap) as two', () => {
    const count = countExecutions(['d1'], [e('x1', 'd1', 'succeeded'), e('x1', 'd1', 'succeeded')]);
    expect(count.byState).toEqual({ succeeded: 1 });
    expect(count.duplicated).toBe(1);
  });
});

describe('countReadings', () => {
  const k = (ts: number) => readingKey('m1', 'voltage_l1', ts);

  it('compares what was sent with what was stored', () => {
    expect(countReadings([k(1), k(2), k(3)], [k(1), k(2), k(3)])).toEqual({
      operations: 3,
      lost: 0,
      duplicated: 0,
      lostKeys: [],
    });
    expect(countReadings([k(1), k(2), k(3)], [k(1), k(3), k(3)])).toEqual({
      operations: 3,
      lost: 1,
      duplicated: 1,
      lostKeys: [k(2)],
    });
  });

  it('counts a re-sent reading once and adds what the outboxes dropped to the lost', () => {
    expect(countReadings([k(1), k(1), k(2)], [k(1), k(2)], 4)).toEqual({
      operations: 6,
      lost: 4,
      duplicated: 0,
      lostKeys: [],
    });
  });
});
