import type { MaintenanceWindow } from './maintenance-window.js';
import type { FailureThreshold, PhaseTimeouts, RolloutRules } from './rollout-policy.js';
import type { DeploymentDto, ExcludedSummaryDto, RolloutDto } from './rollouts.dto.js';
import type { DeploymentListRow, RolloutRow, StateCount } from './rollouts.repository.js';
import type { PlannedWave } from './wave-plan.js';

/** The typed settings behind a rollout row's JSON columns. */
export interface RolloutSettings {
  waves: PlannedWave[];
  successThreshold: number;
  failureThreshold: FailureThreshold;
  phaseTimeouts: PhaseTimeouts;
  maintenanceWindow: MaintenanceWindow | null;
  excluded: ExcludedSummaryDto | null;
}

export function settingsOf(row: RolloutRow): RolloutSettings {
  return {
    waves: row.waves as PlannedWave[],
    successThreshold: row.successThreshold as number,
    failureThreshold: row.failureThreshold as FailureThreshold,
    phaseTimeouts: row.phaseTimeouts as PhaseTimeouts,
    maintenanceWindow: (row.maintenanceWindow as MaintenanceWindow | null) ?? null,
    excluded: (row.excluded as ExcludedSummaryDto | null) ?? null,
  };
}

export function rulesOf(row: RolloutRow): RolloutRules {
  const settings = settingsOf(row);
  return {
    waveCount: settings.waves.length,
    successThreshold: settings.successThreshold,
    failureThreshold: settings.failureThreshold,
    maxConcurrent: row.maxConcurrent,
    startRatePerMinute: row.startRatePerMinute,
    includeLateJoiners: row.includeLateJoiners,
  };
}

export function toRolloutDto(
  row: RolloutRow & { version: string },
  counts: readonly StateCount[],
): RolloutDto {
  const settings = settingsOf(row);
  const totals: Record<string, number> = {};
  const perWave: Record<string, number>[] = settings.waves.map(() => ({}));
  let total = 0;
  for (const c of counts) {
    totals[c.state] = (totals[c.state] ?? 0) + c.count;
    total += c.count;
    const wave = perWave[c.wave] as Record<string, number> | undefined;
    if (wave) wave[c.state] = (wave[c.state] ?? 0) + c.count;
  }
  const finished = row.state === 'completed';
  return {
    id: row.id,
    name: row.name,
    releaseId: row.releaseId,
    version: row.version,
    state: row.state,
    stateReason: row.stateReason,
    selector: row.selector,
    currentWave: row.currentWave + 1,
    waves: settings.waves.map((w, i) => ({
      index: i + 1,
      spec: w.spec,
      size: Object.values(perWave[i] ?? {}).reduce((a: number, b: number) => a + b, 0),
      state:
        finished || i < row.currentWave ? 'done' : i === row.currentWave ? 'active' : 'pending',
      counts: perWave[i] ?? {},
    })),
    counts: totals,
    total,
    successThresholdPercent: Math.round(settings.successThreshold * 1000) / 10,
    failureThreshold: settings.failureThreshold,
    maxConcurrent: row.maxConcurrent,
    startRatePerMinute: row.startRatePerMinute,
    maintenanceWindow: settings.maintenanceWindow,
    phaseTimeouts: settings.phaseTimeouts,
    includeLateJoiners: row.includeLateJoiners,
    allowDowngrade: row.allowDowngrade,
    excluded: settings.excluded,
    createdByUserId: row.createdByUserId,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    finishedAt: row.finishedAt,
  };
}

export function toDeploymentDto(row: DeploymentListRow): DeploymentDto {
  return {
    id: row.id,
    gatewayId: row.gatewayId,
    gatewayName: row.gatewayName,
    wave: row.wave + 1,
    state: row.state,
    fromVersion: row.fromVersion,
    toVersion: row.toVersion,
    runningVersion: row.runningVersion,
    progress: row.progress,
    instruction: row.instruction,
    attempts: row.attempts,
    startedAt: row.startedAt,
    committedAt: row.committedAt,
    finishedAt: row.finishedAt,
    errorCode: row.errorCode,
    errorMessage: row.errorMessage,
    updatedAt: row.updatedAt,
  };
}
