import { Injectable, Logger } from '@nestjs/common';
import { uuidv7 } from '@fleet/common';
import {
  GATEWAY_SELECTOR_KEYS,
  parseSelector,
  type SignedManifestEnvelope,
} from '@fleet/contracts';
import type { FirmwareManifest } from '@fleet/firmware';
import { eligibility, screen } from './eligibility.js';
import { windowState } from './maintenance-window.js';
import {
  OrchestrationRepository,
  type Instruction,
  type LockedRollout,
  type TimedOut,
} from './orchestration.repository.js';
import { OtaInstructionsService, type InstructionContext } from './ota-instructions.service.js';
import {
  abortWhilePaused,
  CANCELABLE_STATES,
  decide,
  emptyTally,
  type RolloutSnapshot,
  type RolloutState,
} from './rollout-policy.js';
import { RolloutProgress } from './rollout-progress.service.js';
import { RolloutTicksAdapter } from './rollout-ticks.adapter.js';
import { rulesOf, settingsOf } from './rollout-view.js';
import type { StoppedDeployment } from './rollouts.repository.js';

/** While gateways are moving, a rollout is looked at every second. */
const ACTIVE_TICK_MS = 1_000;
/** Waiting (paused with installs running, offline gateways, a closed window): every 5 s. */
const IDLE_TICK_MS = 5_000;
/** An instruction with no answer at all is sent again after this (the agent dedupes). */
const RESEND_AFTER_MS = 20_000;
/** Looking for gateways that match later costs a selector query: at most this often. */
const LATE_JOINER_EVERY_MS = 15_000;

interface TickOutcome {
  context: InstructionContext;
  send: Instruction[];
  cancel: { deploymentId: string; gatewayId: string }[];
  nextAt: number | undefined;
  changed: boolean;
}

/**
 * Runs rollouts, one tick at a time per rollout (row lock): phase timeouts, commit confirmation,
 * late joiners, the failure threshold, wave gates, and new instructions within the concurrency,
 * start-rate and maintenance-window limits. Instructions go out after the transaction commits.
 */
@Injectable()
export class RolloutOrchestrator {
  private readonly logger = new Logger(RolloutOrchestrator.name);
  private readonly lateJoinerChecks = new Map<string, number>();

  constructor(
    private readonly orchestration: OrchestrationRepository,
    private readonly instructions: OtaInstructionsService,
    private readonly ticks: RolloutTicksAdapter,
    private readonly progress: RolloutProgress,
  ) {}

  async tick(rolloutId: string): Promise<void> {
    const outcome = await this.orchestration.withLockedRollout(rolloutId, (locked) =>
      this.evaluate(locked, new Date()),
    );
    if (!outcome) return;
    if (outcome.send.length > 0) await this.instructions.send(outcome.context, outcome.send);
    if (outcome.cancel.length > 0)
      await this.instructions.send(
        outcome.context,
        outcome.cancel.map((c) => ({ ...c, action: 'cancel' as const })),
      );
    if (outcome.changed) this.progress.announce(rolloutId);
    if (outcome.nextAt !== undefined) await this.ticks.schedule(rolloutId, outcome.nextAt);
  }

  private async evaluate(locked: LockedRollout, now: Date): Promise<TickOutcome> {
    const rollout = locked.rollout;
    const settings = settingsOf(rollout);
    const release = await locked.release();
    const envelope = release.envelope as SignedManifestEnvelope;
    const manifest = envelope.manifest as unknown as FirmwareManifest;
    const context: InstructionContext = {
      rolloutId: rollout.id,
      releaseId: rollout.releaseId,
      envelope,
      timeouts: settings.phaseTimeouts,
      allowDowngrade: rollout.allowDowngrade,
    };
    const outcome: TickOutcome = {
      context,
      send: [],
      cancel: [],
      nextAt: undefined,
      changed: false,
    };

    const timedOut = await locked.timeOutStale(now, settings.phaseTimeouts);
    outcome.cancel.push(...cancelable(timedOut));
    const confirmed = await locked.confirmCommitted(now);
    outcome.changed = timedOut.length + confirmed > 0;
    if (timedOut.length)
      this.logger.warn(
        { rolloutId: rollout.id, deployments: timedOut.length },
        'deployments timed out',
      );

    let state = rollout.state as RolloutState;
    const unfinished = state === 'scheduled' || state === 'running' || state === 'paused';
    if (unfinished && release.recalledAt) {
      const reason = `release ${release.version} recalled${release.recallReason ? `: ${release.recallReason}` : ''}`;
      outcome.cancel.push(
        ...instructed(await locked.cancelPending('ROLLOUT_ABORTED', reason, now)),
      );
      await locked.update({ state: 'aborted', stateReason: reason, finishedAt: now }, now);
      state = 'aborted';
      outcome.changed = true;
    }

    if (state === 'scheduled' || state === 'running') {
      if (rollout.includeLateJoiners) await this.addLateJoiners(locked, manifest, now);
      const counters = await locked.counters(now);
      const window = settings.maintenanceWindow
        ? windowState(settings.maintenanceWindow, now)
        : null;
      const rules = rulesOf(rollout);
      const snapshot: RolloutSnapshot = {
        state,
        currentWave: rollout.currentWave,
        waves: Array.from(
          { length: rules.waveCount },
          (_, i) => counters.waves.get(i) ?? emptyTally(),
        ),
        recentFailed: counters.recentFailed,
        recentFinished: counters.recentFinished,
        startedLastMinute: counters.startedLastMinute,
        installsInFlight: counters.installsInFlight,
        downloadsInFlight: counters.downloadsInFlight,
        windowOpen: window === null || window.open,
      };
      const decision = decide(snapshot, rules);
      if (decision.stop) {
        const aborted = decision.stop.state === 'aborted';
        if (aborted)
          outcome.cancel.push(
            ...instructed(await locked.cancelPending('ROLLOUT_ABORTED', decision.stop.reason, now)),
          );
        await locked.update(
          {
            state: decision.stop.state,
            stateReason: decision.stop.reason,
            currentWave: decision.currentWave,
            ...(aborted ? { finishedAt: now } : {}),
          },
          now,
        );
        this.logger.warn(
          { rolloutId: rollout.id, reason: decision.stop.reason },
          `rollout ${decision.stop.state}`,
        );
        state = decision.stop.state;
        outcome.changed = true;
      } else if (decision.complete) {
        await locked.update(
          {
            state: 'completed',
            stateReason: null,
            currentWave: decision.currentWave,
            finishedAt: now,
          },
          now,
        );
        this.logger.log({ rolloutId: rollout.id }, 'rollout completed');
        state = 'completed';
        outcome.changed = true;
      } else {
        if (
          state !== 'running' ||
          decision.currentWave !== rollout.currentWave ||
          (decision.waiting ?? null) !== rollout.stateReason
        ) {
          await locked.update(
            {
              state: 'running',
              currentWave: decision.currentWave,
              stateReason: decision.waiting ?? null,
            },
            now,
          );
          outcome.changed = true;
        }
        const promoted = await locked.promoteToInstall(decision.installSlots, now);
        const slots = decision.downloadOnly
          ? decision.startAllowance
          : Math.min(decision.startAllowance, decision.installSlots - promoted.length);
        const started = await this.start(
          locked,
          manifest,
          decision.currentWave,
          slots,
          decision.downloadOnly,
          now,
        );
        const resent = await locked.unanswered(new Date(now.getTime() - RESEND_AFTER_MS), now);
        outcome.send.push(...promoted, ...started, ...resent);
        if (promoted.length + started.length > 0) outcome.changed = true;
        outcome.nextAt =
          now.getTime() +
          (counters.active > 0 || started.length > 0 ? ACTIVE_TICK_MS : IDLE_TICK_MS);
        if (window && !window.open && window.opensAt)
          outcome.nextAt = Math.min(outcome.nextAt, window.opensAt.getTime());
        return outcome;
      }
    }

    // Paused or finished: keep watching deployments that are still on their way.
    const counters = await locked.counters(now);
    const abortReason =
      state === 'paused'
        ? abortWhilePaused(
            rulesOf(rollout).failureThreshold,
            counters.recentFailed,
            counters.recentFinished,
          )
        : undefined;
    if (abortReason) {
      outcome.cancel.push(
        ...instructed(await locked.cancelPending('ROLLOUT_ABORTED', abortReason, now)),
      );
      await locked.update({ state: 'aborted', stateReason: abortReason, finishedAt: now }, now);
      this.logger.warn({ rolloutId: rollout.id, reason: abortReason }, 'paused rollout aborted');
      state = 'aborted';
      outcome.changed = true;
    }
    if (counters.active > 0) outcome.nextAt = now.getTime() + IDLE_TICK_MS;
    if (state !== 'paused') this.lateJoinerChecks.delete(rollout.id);
    return outcome;
  }

  /** Starts up to `slots` waiting deployments of online gateways, re-checking each one first. */
  private async start(
    locked: LockedRollout,
    manifest: FirmwareManifest,
    maxWave: number,
    slots: number,
    downloadOnly: boolean,
    now: Date,
  ): Promise<Instruction[]> {
    if (slots <= 0) return [];
    const candidates = await locked.waitingOnline(maxWave, slots);
    const ready: string[] = [];
    for (const c of candidates) {
      const verdict = eligibility(
        manifest,
        {
          id: c.gatewayId,
          name: c.gatewayId,
          model: c.model,
          hardwareRevision: c.hardwareRevision,
          firmwareVersion: c.firmwareVersion,
        },
        locked.rollout.allowDowngrade,
      );
      if (verdict.eligible) ready.push(c.deploymentId);
      else await locked.skip(c.deploymentId, verdict.code, verdict.reason, now);
    }
    return locked.start(ready, downloadOnly ? 'download' : 'install', now);
  }

  private async addLateJoiners(
    locked: LockedRollout,
    manifest: FirmwareManifest,
    now: Date,
  ): Promise<void> {
    const rollout = locked.rollout;
    const last = this.lateJoinerChecks.get(rollout.id) ?? 0;
    if (now.getTime() - last < LATE_JOINER_EVERY_MS) return;
    this.lateJoinerChecks.set(rollout.id, now.getTime());
    const found = await locked.lateJoiners(parseSelector(rollout.selector, GATEWAY_SELECTOR_KEYS));
    const { eligible } = screen(manifest, found, rollout.allowDowngrade);
    if (eligible.length === 0) return;
    await locked.addDeployments(
      eligible.map((g) => ({
        id: uuidv7(),
        gatewayId: g.id,
        wave: rollout.currentWave,
        fromVersion: g.firmwareVersion,
      })),
      manifest.version,
    );
    this.logger.log({ rolloutId: rollout.id, gateways: eligible.length }, 'late joiners added');
  }
}

function cancelable(rows: readonly TimedOut[]): { deploymentId: string; gatewayId: string }[] {
  return rows
    .filter((r) => (CANCELABLE_STATES as readonly string[]).includes(r.phase))
    .map((r) => ({ deploymentId: r.id, gatewayId: r.gatewayId }));
}

function instructed(
  rows: readonly StoppedDeployment[],
): { deploymentId: string; gatewayId: string }[] {
  return rows
    .filter((r) => r.instructed)
    .map((r) => ({ deploymentId: r.id, gatewayId: r.gatewayId }));
}
