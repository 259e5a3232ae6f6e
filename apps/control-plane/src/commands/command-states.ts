/**
 * Per-device execution states: queued → sent → delivered → succeeded | failed | timed_out |
 * expired | canceled. The first three are unfinished; every transition is a guarded UPDATE, so a
 * late or duplicate report never moves a finished execution.
 */
export const EXECUTION_STATES = [
  'queued',
  'sent',
  'delivered',
  'succeeded',
  'failed',
  'timed_out',
  'expired',
  'canceled',
] as const;
export type ExecutionState = (typeof EXECUTION_STATES)[number];

export const UNFINISHED_STATES = [
  'queued',
  'sent',
  'delivered',
] as const satisfies readonly ExecutionState[];
export const FINISHED_STATES = [
  'succeeded',
  'failed',
  'timed_out',
  'expired',
  'canceled',
] as const satisfies readonly ExecutionState[];

/** A command: still accepting progress, finished (every execution final), or canceled by an operator. */
export const COMMAND_STATES = ['active', 'completed', 'canceled'] as const;
export type CommandState = (typeof COMMAND_STATES)[number];

export type StateCounts = Record<ExecutionState, number>;

export function emptyCounts(): StateCounts {
  return Object.fromEntries(EXECUTION_STATES.map((s) => [s, 0])) as StateCounts;
}

export function countsFrom(rows: readonly { state: string; count: number }[]): StateCounts {
  const counts = emptyCounts();
  for (const row of rows)
    if ((EXECUTION_STATES as readonly string[]).includes(row.state))
      counts[row.state as ExecutionState] += row.count;
  return counts;
}

export function unfinishedOf(counts: StateCounts): number {
  return UNFINISHED_STATES.reduce((sum, s) => sum + counts[s], 0);
}

/**
 * The code an agent reports for an execution it did not start before its deadline. The control
 * plane records it as `canceled` when the command was canceled (cancel tightens the deadline to
 * "now"), otherwise as `expired`.
 */
export const NOT_STARTED_CODE = 'EXPIRED';
