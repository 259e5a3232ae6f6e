import { Injectable, Logger } from '@nestjs/common';
import { ConflictError, NotFoundError } from '@fleet/common';
import type { SignedManifestEnvelope } from '@fleet/contracts';
import type { Scope } from '../auth/principal.js';
import { OtaInstructionsService } from './ota-instructions.service.js';
import { ReleasesRepository } from './releases.repository.js';
import { ReleasesService } from './releases.service.js';
import type { RecallResultDto } from './releases.dto.js';
import { RolloutProgress } from './rollout-progress.service.js';
import { RolloutTicksAdapter } from './rollout-ticks.adapter.js';
import { settingsOf } from './rollout-view.js';
import type { RolloutDto } from './rollouts.dto.js';
import {
  RolloutsRepository,
  type RolloutRow,
  type StoppedDeployment,
} from './rollouts.repository.js';
import { RolloutsService } from './rollouts.service.js';

/** Operator actions on running rollouts: pause, resume, cancel, and recalling a release. */
@Injectable()
export class RolloutControlService {
  private readonly logger = new Logger(RolloutControlService.name);

  constructor(
    private readonly rollouts: RolloutsRepository,
    private readonly releases: ReleasesRepository,
    private readonly releaseService: ReleasesService,
    private readonly view: RolloutsService,
    private readonly instructions: OtaInstructionsService,
    private readonly ticks: RolloutTicksAdapter,
    private readonly progress: RolloutProgress,
  ) {}

  /** No new gateway starts; those already updating finish (their timeouts still apply). */
  async pause(scope: Scope, id: string, reason?: string): Promise<RolloutDto> {
    const row = await this.rollouts.pause(scope.tenantId, id, reason ?? 'paused by an operator');
    if (!row) await this.refuse(scope, id, 'pause', ['scheduled', 'running']);
    this.progress.announce(id);
    return this.view.get(scope, id);
  }

  async resume(scope: Scope, id: string): Promise<RolloutDto> {
    const row = await this.rollouts.resume(scope.tenantId, id, new Date());
    if (!row) await this.refuse(scope, id, 'resume', ['paused']);
    await this.ticks.schedule(id, Date.now());
    this.progress.announce(id);
    return this.view.get(scope, id);
  }

  /** Ends the rollout; gateways that have not switched slots are told to stop. */
  async cancel(scope: Scope, id: string, reason?: string): Promise<RolloutDto> {
    const { rollouts, stopped } = await this.rollouts.stop(
      { tenantId: scope.tenantId, rolloutId: id },
      'canceled',
      reason ?? 'canceled by an operator',
      new Date(),
    );
    if (rollouts.length === 0)
      await this.refuse(scope, id, 'cancel', ['scheduled', 'running', 'paused']);
    await this.tellStopped(rollouts, stopped);
    return this.view.get(scope, id);
  }

  /** Recalls a release: its downloads stop at once, its rollouts are aborted, pending deployments canceled. */
  async recall(scope: Scope, releaseId: string, reason: string): Promise<RecallResultDto> {
    const current = await this.releaseService.require(scope.tenantId, releaseId);
    const recalled = await this.releases.recall(scope.tenantId, releaseId, reason, new Date());
    if (!recalled)
      throw new ConflictError(
        'RELEASE_RECALLED',
        `release ${current.version} was already recalled${current.recallReason ? `: ${current.recallReason}` : ''}`,
      );
    const { rollouts, stopped } = await this.rollouts.stop(
      { tenantId: scope.tenantId, releaseId },
      'aborted',
      `release ${recalled.version} recalled: ${reason}`,
      new Date(),
    );
    await this.tellStopped(rollouts, stopped, recalled.envelope as SignedManifestEnvelope);
    this.logger.warn(
      { releaseId, version: recalled.version, rollouts: rollouts.length, canceled: stopped.length },
      'release recalled',
    );
    return Object.assign(await this.releaseService.describe(recalled), {
      stoppedRollouts: rollouts.length,
      canceledDeployments: stopped.length,
    });
  }

  private async tellStopped(
    rollouts: readonly RolloutRow[],
    stopped: readonly StoppedDeployment[],
    envelope?: SignedManifestEnvelope,
  ): Promise<void> {
    for (const rollout of rollouts) {
      const release = envelope ? undefined : await this.releases.findById(rollout.releaseId);
      const mine = new Set(
        stopped.filter((s) => s.instructed && s.rolloutId === rollout.id).map((s) => s.id),
      );
      // Ticks keep running while deployments that were already installing finish.
      await this.ticks.schedule(rollout.id, Date.now()).catch(() => undefined);
      this.progress.announce(rollout.id);
      if (mine.size === 0) continue;
      await this.instructions.send(
        {
          rolloutId: rollout.id,
          releaseId: rollout.releaseId,
          envelope: envelope ?? (release!.envelope as SignedManifestEnvelope),
          timeouts: settingsOf(rollout).phaseTimeouts,
          allowDowngrade: rollout.allowDowngrade,
        },
        stopped
          .filter((s) => mine.has(s.id))
          .map((s) => ({ deploymentId: s.id, gatewayId: s.gatewayId, action: 'cancel' as const })),
      );
    }
  }

  private async refuse(scope: Scope, id: string, action: string, from: string[]): Promise<never> {
    const row = await this.rollouts.find(scope.tenantId, id);
    if (!row) throw new NotFoundError('ROLLOUT_NOT_FOUND', `rollout ${id} not found`);
    throw new ConflictError(
      'ROLLOUT_STATE',
      `cannot ${action} a rollout that is ${row.state} (only when ${from.join(' or ')})`,
      { state: row.state },
    );
  }
}
