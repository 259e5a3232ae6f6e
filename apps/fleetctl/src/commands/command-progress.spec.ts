import { describe, expect, it } from 'vitest';
import { countsText, finishedOf, progressLine, summaryLines } from './command-progress.js';

describe('command progress rendering', () => {
  const counts = { queued: 10, sent: 20, delivered: 0, succeeded: 60, failed: 5, timed_out: 5 };

  it('counts finished executions and lists non-zero states in lifecycle order', () => {
    expect(finishedOf(counts)).toBe(70);
    expect(countsText(counts)).toBe('succeeded 60 · failed 5 · timed_out 5 · sent 20 · queued 10');
  });

  it('draws a bar proportional to what finished', () => {
    const line = progressLine(counts, 100, 10);
    expect(line).toBe(
      '[███████░░░]  70% 70/100  succeeded 60 · failed 5 · timed_out 5 · sent 20 · queued 10',
    );
    expect(progressLine({ succeeded: 3 }, 3, 4)).toMatch(/^\[████\] 100% 3\/3/);
  });

  it('summarises by state with shares', () => {
    expect(summaryLines({ succeeded: 3, failed: 1 }, 4)).toEqual([
      'STATE      COUNT',
      'succeeded  3 (75.0%)',
      'failed     1 (25.0%)',
      'total      4',
    ]);
  });
});
