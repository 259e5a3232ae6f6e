/** Deployment states in lifecycle order, finished ones first (as the API reports them). */
export const DEPLOYMENT_STATE_ORDER = [
  'succeeded',
  'failed',
  'rolled_back',
  'timed_out',
  'canceled',
  'verifying',
  'rebooting',
  'installing',
  'downloaded',
  'downloading',
  'scheduled',
] as const;

export const FINISHED_DEPLOYMENT_STATES = [
  'succeeded',
  'failed',
  'rolled_back',
  'timed_out',
  'canceled',
] as const;
/** Deployment states that make `rollout status --wait` exit non-zero. */
export const UNSUCCESSFUL_DEPLOYMENT_STATES = ['failed', 'rolled_back', 'timed_out'] as const;
/** Rollout states after which nothing moves any more. */
export const FINAL_ROLLOUT_STATES = ['completed', 'aborted', 'canceled'] as const;

export type Counts = Readonly<Record<string, number>>;

export interface WaveView {
  index: number;
  spec: string;
  size: number;
  state: string;
  counts: Counts;
}

export interface RolloutView {
  id: string;
  name: string;
  releaseId: string;
  version: string;
  state: string;
  stateReason: string | null;
  selector: string;
  currentWave: number;
  waves: WaveView[];
  counts: Counts;
  total: number;
  successThresholdPercent: number;
  failureThreshold: { count?: number; percent?: number; minSample?: number; action?: string };
  maxConcurrent: number;
  startRatePerMinute: number;
  maintenanceWindow: { cron: string; durationMinutes: number; timeZone: string } | null;
  includeLateJoiners: boolean;
  allowDowngrade: boolean;
  excluded: { total: number; byReason: Counts } | null;
  createdAt: string;
  finishedAt: string | null;
}

export function finishedOf(counts: Counts): number {
  return FINISHED_DEPLOYMENT_STATES.reduce((sum, s) => sum + (counts[s] ?? 0), 0);
}

export function unsuccessfulOf(counts: Counts): number {
  return UNSUCCESSFUL_DEPLOYMENT_STATES.reduce((sum, s) => sum + (counts[s] ?? 0), 0);
}

/** `succeeded 9 · installing 1`: the non-zero states, in lifecycle order (unknown states last). */
export function countsText(counts: Counts): string {
  const known: readonly string[] = DEPLOYMENT_STATE_ORDER;
  const states = [
    ...DEPLOYMENT_STATE_ORDER,
    ...Object.keys(counts)
      .filter((s) => !known.includes(s))
      .sort(),
  ];
  return states
    .filter((s) => (counts[s] ?? 0) > 0)
    .map((s) => `${s} ${counts[s] ?? 0}`)
    .join(' · ');
}

/** `wave 2/4 (10%)  active   [████░░░░] 3/5  succeeded 3 · installing 2`. */
export function waveLine(wave: WaveView, waveCount: number, width = 20): string {
  const done = finishedOf(wave.counts);
  const filled = wave.size > 0 ? Math.round((done / wave.size) * width) : 0;
  const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
  const counts = countsText(wave.counts);
  return (
    `wave ${wave.index}/${waveCount} (${wave.spec})`.padEnd(20) +
    ` ${wave.state.padEnd(7)} [${bar}] ${done}/${wave.size}${counts ? `  ${counts}` : ''}`
  );
}

/** `rollout <id> running: 1.4.0 to 'site=a' — wave 2/4, 12/40 finished`. */
export function headLine(view: RolloutView): string {
  const reason = view.stateReason ? ` (${view.stateReason})` : '';
  return (
    `rollout ${view.id} ${view.state}${reason}: ${view.version} to '${view.selector}'` +
    ` — wave ${Math.min(view.currentWave, view.waves.length)}/${view.waves.length},` +
    ` ${finishedOf(view.counts)}/${view.total} finished`
  );
}

/** What `rollout status` prints: the head line, then one line per wave. */
export function statusLines(view: RolloutView): string[] {
  return [headLine(view), ...view.waves.map((w) => waveLine(w, view.waves.length))];
}

export function isFinal(state: string): boolean {
  return (FINAL_ROLLOUT_STATES as readonly string[]).includes(state);
}

/** On a terminal: moves up over the `drawn` lines drawn last and draws `lines` in their place. */
export function redraw(drawn: number, lines: readonly string[]): string {
  return `${drawn > 0 ? `\x1b[${drawn}A` : ''}${lines.map((l) => `\r\x1b[2K${l}\n`).join('')}`;
}

/** Not a terminal (CI, logs): only the lines that changed since the last poll, in order. */
export function changedLines(previous: readonly string[], lines: readonly string[]): string[] {
  return lines.filter((line, i) => line !== previous[i]);
}
