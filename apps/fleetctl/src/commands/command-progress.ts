/** Execution states in the order a command moves through them (as the API reports them). */
export const STATE_ORDER = [
  'succeeded',
  'failed',
  'timed_out',
  'expired',
  'canceled',
  'delivered',
  'sent',
  'queued',
] as const;

export const FINAL_STATES = ['succeeded', 'failed', 'timed_out', 'expired', 'canceled'] as const;
/** States that make `command send --wait` exit non-zero. */
export const UNSUCCESSFUL_STATES = ['failed', 'timed_out', 'expired'] as const;

export type Counts = Readonly<Record<string, number>>;

export function finishedOf(counts: Counts): number {
  return FINAL_STATES.reduce((sum, s) => sum + (counts[s] ?? 0), 0);
}

/** `succeeded 980 · failed 12 · sent 8`: the non-zero states, in lifecycle order. */
export function countsText(counts: Counts): string {
  return STATE_ORDER.filter((s) => (counts[s] ?? 0) > 0)
    .map((s) => `${s} ${counts[s] ?? 0}`)
    .join(' · ');
}

/** One line: a bar of finished executions, the count, and the states. */
export function progressLine(counts: Counts, total: number, width = 30): string {
  const done = finishedOf(counts);
  const filled = total > 0 ? Math.round((done / total) * width) : width;
  const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
  const percent = total > 0 ? Math.floor((done / total) * 100) : 100;
  return `[${bar}] ${String(percent).padStart(3)}% ${done}/${total}  ${countsText(counts)}`;
}

/** The final summary: one row per state that occurred, with its share. */
export function summaryLines(counts: Counts, total: number): string[] {
  const rows = STATE_ORDER.filter((s) => (counts[s] ?? 0) > 0);
  const width = Math.max(5, ...rows.map((s) => s.length));
  return [
    `${'STATE'.padEnd(width)}  COUNT`,
    ...rows.map((s) => {
      const n = counts[s] ?? 0;
      const share = total > 0 ? ` (${((n / total) * 100).toFixed(1)}%)` : '';
      return `${s.padEnd(width)}  ${n}${share}`;
    }),
    `${'total'.padEnd(width)}  ${total}`,
  ];
}
