/**
 * The rules of a rollout as pure functions: deployment states, what counts as failure, when a wave
 * passes its gate, when the failure threshold stops the rollout, and how many gateways may start.
 */

export const DEPLOYMENT_STATES = [
  'scheduled',
  'downloading',
  'downloaded',
  'installing',
  'rebooting',
  'verifying',
  'succeeded',
  'failed',
  'rolled_back',
  'canceled',
  'timed_out',
] as const;
export type DeploymentState = (typeof DEPLOYMENT_STATES)[number];

export const TERMINAL_STATES = [
  'succeeded',
  'failed',
  'rolled_back',
  'canceled',
  'timed_out',
] as const satisfies readonly DeploymentState[];
/** Outcomes that count toward the failure threshold (a timeout is a failure). */
export const FAILURE_STATES = [
  'failed',
  'rolled_back',
  'timed_out',
] as const satisfies readonly DeploymentState[];
/** States in which a cancel still stops the gateway before it switches slots. */
export const CANCELABLE_STATES = [
  'scheduled',
  'downloading',
  'downloaded',
] as const satisfies readonly DeploymentState[];
export const ACTIVE_STATES = [
  'scheduled',
  'downloading',
  'downloaded',
  'installing',
  'rebooting',
  'verifying',
] as const satisfies readonly DeploymentState[];

export function isTerminal(state: string): boolean {
  return (TERMINAL_STATES as readonly string[]).includes(state);
}

export const ROLLOUT_STATES = [
  'scheduled',
  'running',
  'paused',
  'completed',
  'aborted',
  'canceled',
] as const;
export type RolloutState = (typeof ROLLOUT_STATES)[number];
export const FINISHED_ROLLOUT_STATES = ['completed', 'aborted', 'canceled'] as const;

export interface FailureThreshold {
  /** Stop once this many deployments failed... */
  count?: number;
  /** ...or once this share (0–100) of finished deployments failed... */
  percent?: number;
  /** ...but judge a percentage only once at least this many have finished. */
  minSample: number;
  action: 'pause' | 'abort';
}

export interface PhaseTimeouts {
  downloading: number;
  installing: number;
  rebooting: number;
  verifying: number;
}

export interface RolloutRules {
  waveCount: number;
  /** Fraction (0..1) of a wave's gateways that must succeed before the next wave starts. */
  successThreshold: number;
  failureThreshold: FailureThreshold;
  maxConcurrent: number;
  startRatePerMinute: number;
  includeLateJoiners: boolean;
}

/** One wave's deployments, counted. */
export interface WaveTally {
  total: number;
  succeeded: number;
  /** failed, rolled back or timed out. */
  failed: number;
  canceled: number;
  /** Instructed and not finished. */
  inFlight: number;
  /** Not instructed yet, gateway online. */
  waitingOnline: number;
  /** Not instructed yet, gateway offline: started when it comes back. */
  waitingOffline: number;
}

export interface RolloutSnapshot {
  state: RolloutState;
  currentWave: number;
  /** Index = wave number (0-based); always `waveCount` entries. */
  waves: WaveTally[];
  /** Since the failure counter was last reset (start or resume). */
  recentFailed: number;
  recentFinished: number;
  startedLastMinute: number;
  /** Deployments told to install and not finished. */
  installsInFlight: number;
  /** Deployments told to download (ahead of a window) and still downloading. */
  downloadsInFlight: number;
  /** True when no maintenance window is set. */
  windowOpen: boolean;
}

export interface RolloutDecision {
  /** The rollout stops by itself (failure threshold, or a wave that cannot pass its gate). */
  stop?: { state: 'paused' | 'aborted'; reason: string };
  /** Every wave passed and nothing is left to do. */
  complete: boolean;
  /** The wave being worked on (0-based), after any advance. */
  currentWave: number;
  /** Why nothing moves although the rollout runs (shown to operators). */
  waiting?: string;
  /** Free install slots (max concurrent installs minus those running): downloaded ones first. */
  installSlots: number;
  /** Gateways that may begin now (start rate); a new start also needs a free slot. */
  startAllowance: number;
  /** True: new starts are told to download only (outside the maintenance window). */
  downloadOnly: boolean;
}

export function emptyTally(): WaveTally {
  return {
    total: 0,
    succeeded: 0,
    failed: 0,
    canceled: 0,
    inFlight: 0,
    waitingOnline: 0,
    waitingOffline: 0,
  };
}

/** Whether the failure threshold is reached, and a sentence saying why. */
export function failureThresholdTripped(
  threshold: FailureThreshold,
  failed: number,
  finished: number,
): string | undefined {
  if (finished < threshold.minSample || failed === 0) return undefined;
  if (threshold.count !== undefined && failed >= threshold.count)
    return `failure threshold reached: ${failed} deployments failed (limit ${threshold.count})`;
  if (threshold.percent !== undefined && (failed * 100) / finished >= threshold.percent)
    return `failure threshold reached: ${failed} of ${finished} finished deployments failed (${round(
      (failed * 100) / finished,
    )} %, limit ${threshold.percent} %)`;
  return undefined;
}

/**
 * A paused rollout still has installs under way; when they fail past an abort threshold, the rollout
 * is aborted (pending deployments canceled) rather than left paused for someone to resume by mistake.
 */
export function abortWhilePaused(
  threshold: FailureThreshold,
  failed: number,
  finished: number,
): string | undefined {
  if (threshold.action !== 'abort') return undefined;
  return failureThresholdTripped(threshold, failed, finished);
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}

/**
 * Decides what a tick does: stop on the failure threshold, advance through waves whose gate is met,
 * complete, or hand out budgets for new installs/downloads under the concurrency and rate limits.
 */
export function decide(snapshot: RolloutSnapshot, rules: RolloutRules): RolloutDecision {
  const idle: RolloutDecision = {
    complete: false,
    currentWave: snapshot.currentWave,
    installSlots: 0,
    startAllowance: 0,
    downloadOnly: !snapshot.windowOpen,
  };
  if (snapshot.state !== 'running' && snapshot.state !== 'scheduled') return idle;

  const tripped = failureThresholdTripped(
    rules.failureThreshold,
    snapshot.recentFailed,
    snapshot.recentFinished,
  );
  if (tripped)
    return {
      ...idle,
      stop: {
        state: rules.failureThreshold.action === 'abort' ? 'aborted' : 'paused',
        reason: tripped,
      },
    };

  let wave = Math.min(snapshot.currentWave, rules.waveCount - 1);
  let waiting: string | undefined;
  let passedAll = false;
  for (;;) {
    const tally = snapshot.waves[wave] ?? emptyTally();
    const eligible = tally.total - tally.canceled;
    const needed = Math.ceil(eligible * rules.successThreshold - 1e-9);
    const label = `wave ${wave + 1}`;
    if (tally.inFlight + tally.waitingOnline > 0) {
      const reachable =
        tally.succeeded + tally.inFlight + tally.waitingOnline + tally.waitingOffline;
      if (reachable < needed)
        return {
          ...idle,
          currentWave: wave,
          stop: {
            state: 'paused',
            reason: `${label} cannot reach its success threshold: ${tally.failed} of ${eligible} failed, ${needed} must succeed`,
          },
        };
      break;
    }
    if (tally.succeeded >= needed) {
      if (wave + 1 >= rules.waveCount) {
        passedAll = true;
        break;
      }
      wave += 1;
      continue;
    }
    if (tally.waitingOffline > 0) {
      waiting = `${label} waits for ${tally.waitingOffline} offline gateway(s): ${tally.succeeded} of ${needed} needed succeeded`;
      break;
    }
    return {
      ...idle,
      currentWave: wave,
      stop: {
        state: 'paused',
        reason: `${label} missed its success threshold: ${tally.succeeded} of ${eligible} succeeded, ${needed} needed`,
      },
    };
  }

  const anyLeft = snapshot.waves.some((t) => t.inFlight + t.waitingOnline + t.waitingOffline > 0);
  if (passedAll && !anyLeft) {
    if (!rules.includeLateJoiners) return { ...idle, currentWave: wave, complete: true };
    waiting = 'every wave is done; watching for gateways that match later';
  } else if (passedAll && !waiting) {
    const offline = snapshot.waves.reduce((n, t) => n + t.waitingOffline, 0);
    if (offline > 0 && snapshot.waves.every((t) => t.inFlight + t.waitingOnline === 0))
      waiting = `${offline} offline gateway(s) still to update`;
  }

  const startAllowance = Math.max(0, rules.startRatePerMinute - snapshot.startedLastMinute);
  if (snapshot.windowOpen)
    return {
      complete: false,
      currentWave: wave,
      waiting,
      installSlots: Math.max(0, rules.maxConcurrent - snapshot.installsInFlight),
      startAllowance,
      downloadOnly: false,
    };
  // Outside the window: gateways may download ahead (as many at once as installs would be).
  return {
    complete: false,
    currentWave: wave,
    waiting: waiting ?? 'outside the maintenance window: gateways download, installs wait',
    installSlots: 0,
    startAllowance: Math.min(
      startAllowance,
      Math.max(0, rules.maxConcurrent - snapshot.downloadsInFlight),
    ),
    downloadOnly: true,
  };
}
