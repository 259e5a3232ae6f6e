import { Injectable } from '@nestjs/common';
import {
  ConflictError,
  GoneError,
  InvalidInputError,
  NotFoundError,
  uuidv7,
  type FieldProblem,
} from '@fleet/common';
import { GATEWAY_SELECTOR_KEYS, parseSelector } from '@fleet/contracts';
import type { Principal, Scope } from '../auth/principal.js';
import { decodeCursor, DEFAULT_PAGE_SIZE, pageOf, type Page } from '../http/pagination.js';
import { describeExclusions, screen, type ExclusionSummary } from './eligibility.js';
import { maintenanceWindowProblems, type MaintenanceWindow } from './maintenance-window.js';
import { ReleaseKeysService } from './release-keys.service.js';
import { ReleasesRepository, type ReleaseRow } from './releases.repository.js';
import { manifestOf } from './releases.service.js';
import type { FailureThreshold, PhaseTimeouts } from './rollout-policy.js';
import { RolloutTicksAdapter } from './rollout-ticks.adapter.js';
import { toDeploymentDto, toRolloutDto } from './rollout-view.js';
import type {
  DeploymentListQueryDto,
  DeploymentPageDto,
  RolloutCreateDto,
  RolloutDto,
  RolloutListQueryDto,
  RolloutPreviewDto,
} from './rollouts.dto.js';
import { RolloutsRepository, type CandidateGateway } from './rollouts.repository.js';
import {
  assignWaves,
  parseWaveSteps,
  planWaves,
  rolloutOrder,
  type PlannedWave,
} from './wave-plan.js';

export const DEFAULT_PHASE_TIMEOUTS: PhaseTimeouts = {
  downloading: 3600,
  installing: 900,
  rebooting: 600,
  verifying: 600,
};

interface Plan {
  release: ReleaseRow;
  selector: string;
  waves: PlannedWave[];
  eligible: CandidateGateway[];
  matched: number;
  excluded: ExclusionSummary;
  failureThreshold: FailureThreshold;
  phaseTimeouts: PhaseTimeouts;
  maintenanceWindow: MaintenanceWindow | null;
}

/** Creating, previewing and reading rollouts; the running of them is the orchestrator's. */
@Injectable()
export class RolloutsService {
  constructor(
    private readonly rollouts: RolloutsRepository,
    private readonly releases: ReleasesRepository,
    private readonly keys: ReleaseKeysService,
    private readonly ticks: RolloutTicksAdapter,
  ) {}

  /** What a rollout with these settings would do, without creating it (same checks as create). */
  async preview(scope: Scope, input: RolloutCreateDto): Promise<RolloutPreviewDto> {
    const plan = await this.plan(scope, input);
    return {
      releaseId: plan.release.id,
      version: plan.release.version,
      matched: plan.matched,
      eligible: plan.eligible.length,
      waves: plan.waves.map((w, i) => ({ index: i + 1, spec: w.spec, size: w.size })),
      excluded: plan.excluded,
    };
  }

  async create(
    scope: Scope,
    principal: Principal | undefined,
    input: RolloutCreateDto,
  ): Promise<RolloutDto> {
    const plan = await this.plan(scope, input);
    const id = uuidv7();
    const ordered = rolloutOrder(id, plan.eligible);
    const assigned = assignWaves(ordered, plan.waves);
    const manifest = manifestOf(plan.release);
    const created = await this.rollouts.create(
      {
        id,
        tenantId: scope.tenantId,
        releaseId: plan.release.id,
        name: input.name ?? `${plan.release.version} → ${plan.selector || 'every gateway'}`,
        selector: plan.selector,
        waves: plan.waves,
        successThreshold: (input.successThresholdPercent ?? 95) / 100,
        failureThreshold: plan.failureThreshold,
        maxConcurrent: input.maxConcurrent ?? 100,
        startRatePerMinute: input.startRatePerMinute ?? 600,
        maintenanceWindow: plan.maintenanceWindow,
        phaseTimeouts: plan.phaseTimeouts,
        includeLateJoiners: input.includeLateJoiners ?? false,
        allowDowngrade: input.allowDowngrade ?? false,
        excluded: plan.excluded,
        state: 'scheduled',
        createdByUserId: principal?.userId ?? null,
      },
      manifest.version,
      assigned.map(({ item, wave }) => ({
        id: uuidv7(),
        gatewayId: item.id,
        wave,
        fromVersion: item.firmwareVersion,
      })),
    );
    if (!created.ok)
      throw new ConflictError(
        'GATEWAYS_BUSY',
        `${created.busy.length} gateway(s) were taken by another rollout meanwhile (e.g. ${created.busy[0]}); preview again`,
        { gatewayIds: created.busy.slice(0, 20) },
      );
    await this.ticks.schedule(id, Date.now());
    return this.get(scope, id);
  }

  async get(scope: Scope, id: string): Promise<RolloutDto> {
    const row = await this.rollouts.find(scope.tenantId, id);
    if (!row) throw new NotFoundError('ROLLOUT_NOT_FOUND', `rollout ${id} not found`);
    return toRolloutDto(row, await this.rollouts.counts([id]));
  }

  async list(scope: Scope, query: RolloutListQueryDto): Promise<Page<RolloutDto>> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const rows = await this.rollouts.list(
      scope.tenantId,
      decodeCursor(query.cursor),
      limit + 1,
      query.state,
    );
    const page = pageOf(rows, limit, (r) => r.id);
    const counts = await this.rollouts.counts(page.items.map((r) => r.id));
    return {
      items: page.items.map((r) =>
        toRolloutDto(
          r,
          counts.filter((c) => c.rolloutId === r.id),
        ),
      ),
      nextCursor: page.nextCursor,
    };
  }

  async deployments(
    scope: Scope,
    id: string,
    query: DeploymentListQueryDto,
  ): Promise<DeploymentPageDto> {
    const rollout = await this.rollouts.find(scope.tenantId, id);
    if (!rollout) throw new NotFoundError('ROLLOUT_NOT_FOUND', `rollout ${id} not found`);
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const rows = await this.rollouts.deployments(
      id,
      { state: query.state, wave: query.wave === undefined ? undefined : query.wave - 1 },
      decodeCursor(query.cursor),
      limit + 1,
    );
    const page = pageOf(rows, limit, (r) => r.id);
    return { items: page.items.map(toDeploymentDto), nextCursor: page.nextCursor };
  }

  private async plan(scope: Scope, input: RolloutCreateDto): Promise<Plan> {
    const problems: FieldProblem[] = [];
    const waves = parseWaveSteps(input.waves);
    problems.push(...waves.problems);
    const failure = input.failureThreshold ?? { percent: 10, minSample: 5 };
    if (failure.count === undefined && failure.percent === undefined)
      problems.push({ field: 'failureThreshold', reason: 'needs a count, a percent or both' });
    if (input.maintenanceWindow)
      problems.push(...maintenanceWindowProblems(input.maintenanceWindow));
    const selectorText = input.selector.trim();
    const selector = parseSelector(selectorText, GATEWAY_SELECTOR_KEYS);
    if (problems.length > 0) throw new InvalidInputError('VALIDATION_FAILED', problems);

    const release = await this.releases.find(scope.tenantId, input.releaseId);
    if (!release)
      throw new NotFoundError('RELEASE_NOT_FOUND', `firmware release ${input.releaseId} not found`);
    if (release.recalledAt)
      throw new GoneError(
        'RELEASE_RECALLED',
        `release ${release.version} was recalled${release.recallReason ? `: ${release.recallReason}` : ''}`,
      );
    if (await this.keys.isRevoked(scope.tenantId, release.keyId))
      throw new ConflictError(
        'RELEASE_KEY_REVOKED',
        `release ${release.version} is signed with key ${release.keyId}, which has been revoked; sign it with a valid key and upload it as a new version`,
        { keyId: release.keyId },
      );

    const manifest = manifestOf(release);
    const allowDowngrade = input.allowDowngrade ?? false;
    const candidates = await this.rollouts.candidates(scope, selector);
    if (candidates.length === 0)
      throw new InvalidInputError('NO_GATEWAYS', [
        {
          field: 'selector',
          reason: `matches no active gateway${selectorText ? ` ("${selectorText}")` : ''}`,
        },
      ]);
    const { eligible, excluded } = screen(manifest, candidates, allowDowngrade);
    const downgrades = excluded.byReason.DOWNGRADE ?? 0;
    if (downgrades > 0) {
      const example = excluded.sample.find((s) => s.code === 'DOWNGRADE');
      throw new ConflictError(
        'DOWNGRADE',
        `release ${manifest.version} would downgrade ${downgrades} gateway(s)${example ? ` (e.g. ${example.name}: ${example.reason})` : ''}; set allowDowngrade to do it on purpose, or narrow the selector`,
        { excluded },
      );
    }
    if (eligible.length === 0)
      throw new ConflictError(
        'NO_ELIGIBLE_GATEWAYS',
        `none of the ${candidates.length} matching gateway(s) can take release ${manifest.version}: ${describeExclusions(excluded)}`,
        { excluded },
      );
    return {
      release,
      selector: selectorText,
      waves: planWaves(eligible.length, waves.steps),
      eligible,
      matched: candidates.length,
      excluded,
      failureThreshold: {
        ...(failure.count !== undefined ? { count: failure.count } : {}),
        ...(failure.percent !== undefined ? { percent: failure.percent } : {}),
        minSample: failure.minSample ?? 1,
        action: failure.action ?? 'pause',
      },
      phaseTimeouts: { ...DEFAULT_PHASE_TIMEOUTS, ...stripUndefined(input.phaseTimeouts ?? {}) },
      maintenanceWindow: input.maintenanceWindow
        ? {
            cron: input.maintenanceWindow.cron.trim(),
            durationMinutes: input.maintenanceWindow.durationMinutes,
            timeZone: input.maintenanceWindow.timeZone,
          }
        : null,
    };
  }
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
