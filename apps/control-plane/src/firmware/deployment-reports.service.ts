import { Injectable, Logger } from '@nestjs/common';
import type { OtaStatusMessage, SignedManifestEnvelope } from '@fleet/contracts';
import {
  DeploymentsRepository,
  type ReportTarget,
  type ResendTarget,
  type Transition,
} from './deployments.repository.js';
import { OtaInstructionsService } from './ota-instructions.service.js';
import { ReleasesRepository } from './releases.repository.js';
import { ACTIVE_STATES, type DeploymentState } from './rollout-policy.js';
import { RolloutProgress } from './rollout-progress.service.js';
import { RolloutTicksAdapter } from './rollout-ticks.adapter.js';
import { settingsOf } from './rollout-view.js';
import { RolloutsRepository } from './rollouts.repository.js';

/** A gateway asking again for an instruction (fresh URL) is answered at most this often. */
const RESEND_MIN_INTERVAL_MS = 10_000;
/** A reconnecting gateway may have lost what was sent just before (broker restart): short guard. */
const RECONNECT_RESEND_AFTER_MS = 1_000;

const PHASE_ORDER: readonly DeploymentState[] = [
  'scheduled',
  'downloading',
  'downloaded',
  'installing',
  'rebooting',
  'verifying',
];

/** States from which a reported phase may be entered: forward only (or the same, for progress). */
function forwardFrom(phase: DeploymentState): DeploymentState[] {
  const index = PHASE_ORDER.indexOf(phase);
  return PHASE_ORDER.slice(0, index + 1);
}

/**
 * What gateways report on `ota/status`, applied as guarded transitions. Success is never taken on
 * the gateway's word alone: the report must name the new version as running and committed, and the
 * gateway's presence (its status after the restart) must show that version too.
 */
@Injectable()
export class DeploymentReportsService {
  private readonly logger = new Logger(DeploymentReportsService.name);

  constructor(
    private readonly deployments: DeploymentsRepository,
    private readonly rollouts: RolloutsRepository,
    private readonly releases: ReleasesRepository,
    private readonly instructions: OtaInstructionsService,
    private readonly ticks: RolloutTicksAdapter,
    private readonly progress: RolloutProgress,
  ) {}

  async onStatus(gatewayId: string, report: OtaStatusMessage, now = new Date()): Promise<void> {
    const target = await this.deployments.findForReport(report.deploymentId, gatewayId);
    if (!target) {
      this.logger.warn(
        { gatewayId, deploymentId: report.deploymentId, phase: report.phase },
        'ota status for a deployment this gateway was never sent; ignored',
      );
      return;
    }
    const transition = this.transitionFor(target, report);
    const result = await this.deployments.transition(target.id, transition, now);
    if (!result) return;
    if (
      !result.changed &&
      report.error &&
      (ACTIVE_STATES as readonly string[]).includes(result.state)
    ) {
      // An active deployment reporting an error without a final phase asks for a fresh instruction
      // (e.g. its download URL expired).
      const rearmed = await this.deployments.rearm(target.id, now, RESEND_MIN_INTERVAL_MS);
      if (rearmed) await this.resend([rearmed]);
    }
    if (result.changed) {
      this.progress.announce(result.rolloutId);
      // Finished or downloaded (may install now): the rollout can move on.
      if (
        !(ACTIVE_STATES as readonly string[]).includes(result.state) ||
        result.state === 'downloaded'
      )
        await this.ticks.schedule(result.rolloutId, now.getTime());
    }
  }

  /** A gateway (re)connected: confirm commits its presence now proves, resend what it may have lost. */
  async onOnline(gatewayId: string, now = new Date()): Promise<void> {
    const confirmed = await this.deployments.confirmCommitted(gatewayId, now);
    for (const row of confirmed) {
      this.progress.announce(row.rolloutId);
      await this.ticks.schedule(row.rolloutId, now.getTime());
    }
    const lost = await this.deployments.resendable(gatewayId, now, RECONNECT_RESEND_AFTER_MS);
    if (lost.length > 0) await this.resend(lost);
    // Waiting deployments of this gateway can start now.
    const waiting = await this.rollouts.waitingFor(gatewayId);
    for (const rolloutId of waiting) await this.ticks.schedule(rolloutId, now.getTime());
  }

  private transitionFor(target: ReportTarget, report: OtaStatusMessage): Transition {
    const running = report.runningVersion;
    const error = report.error;
    const active = [...ACTIVE_STATES];
    switch (report.phase) {
      case 'downloading':
      case 'downloaded':
      case 'installing':
      case 'rebooting':
      case 'verifying':
        return {
          to: report.phase,
          from: forwardFrom(report.phase),
          progress: report.progress,
          runningVersion: running,
        };
      case 'succeeded':
        if (running !== target.toVersion)
          return {
            to: 'failed',
            from: active,
            runningVersion: running,
            errorCode: 'VERSION_MISMATCH',
            errorMessage: `the gateway reported success but runs ${running}, not ${target.toVersion}`,
          };
        // Committed; success once its presence (status after the restart) shows the new version.
        return target.presenceVersion === target.toVersion
          ? {
              to: 'succeeded',
              from: active,
              progress: 100,
              runningVersion: running,
              committed: true,
            }
          : {
              to: 'verifying',
              from: active,
              progress: 100,
              runningVersion: running,
              committed: true,
            };
      case 'failed':
      case 'rolled_back':
      case 'canceled':
        return {
          to: report.phase,
          from: active,
          runningVersion: running,
          errorCode: error?.code ?? (report.phase === 'rolled_back' ? 'ROLLED_BACK' : null),
          errorMessage:
            error?.message ??
            (report.phase === 'rolled_back' ? `the gateway went back to ${running}` : null),
        };
    }
  }

  private async resend(targets: readonly ResendTarget[]): Promise<void> {
    const byRollout = new Map<string, ResendTarget[]>();
    for (const t of targets) byRollout.set(t.rolloutId, [...(byRollout.get(t.rolloutId) ?? []), t]);
    for (const [rolloutId, items] of byRollout) {
      const rollout = await this.rollouts.findById(rolloutId);
      const release = rollout && (await this.releases.findById(rollout.releaseId));
      if (!rollout || !release || release.recalledAt) continue;
      await this.instructions.send(
        {
          rolloutId,
          releaseId: release.id,
          envelope: release.envelope as SignedManifestEnvelope,
          timeouts: settingsOf(rollout).phaseTimeouts,
          allowDowngrade: rollout.allowDowngrade,
        },
        items.map((i) => ({
          deploymentId: i.deploymentId,
          gatewayId: i.gatewayId,
          action: i.action,
        })),
      );
    }
  }
}
