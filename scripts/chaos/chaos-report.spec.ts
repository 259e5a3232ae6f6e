import { describe, expect, it } from 'vitest';
import { formatChaosTable, formatDuration, rowFailed } from './chaos-report.js';

describe('formatChaosTable', () => {
  it('aligns the columns, names no recovery, and lists the notes below', () => {
    const table = formatChaosTable([
      {
        scenario: 'kill-control-plane: group command',
        operations: 20,
        lost: 0,
        duplicated: 0,
        recoveredInMs: 4_250,
        notes: 'killed',
      },
      {
        scenario: 'flush-redis: meter readings',
        operations: 1234,
        lost: 2,
        duplicated: 1,
        recoveredInMs: null,
      },
    ]);
    expect(table).toBe(
      [
        'scenario                           operations  lost  duplicated   recovered in',
        '---------------------------------  ----------  ----  ----------  -------------',
        'kill-control-plane: group command          20     0           0          4.3 s',
        'flush-redis: meter readings              1234     2           1  not recovered',
        '',
        'kill-control-plane: group command: killed',
        '',
      ].join('\n'),
    );
  });

  it('prints only the header for no rows', () => {
    expect(formatChaosTable([]).split('\n')[0]).toMatch(/^scenario\s+operations\s+lost/);
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0 ms'],
    [999, '999 ms'],
    [1_000, '1.0 s'],
    [59_949, '59.9 s'],
    [61_000, '1 min 1 s'],
    [null, 'not recovered'],
  ])('%s → %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});

describe('rowFailed', () => {
  const ok = { scenario: 's', operations: 1, lost: 0, duplicated: 0, recoveredInMs: 10 };
  it('is a failure when anything is lost, duplicated or never recovered', () => {
    expect(rowFailed(ok)).toBe(false);
    expect(rowFailed({ ...ok, lost: 1 })).toBe(true);
    expect(rowFailed({ ...ok, duplicated: 1 })).toBe(true);
    expect(rowFailed({ ...ok, recoveredInMs: null })).toBe(true);
  });

  it('accepts the losses a fault is allowed, and no more', () => {
    expect(rowFailed({ ...ok, lost: 2, acceptedLost: 2 })).toBe(false);
    expect(rowFailed({ ...ok, lost: 3, acceptedLost: 2 })).toBe(true);
  });
});
