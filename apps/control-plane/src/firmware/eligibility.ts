import { checkCompatibility, type FirmwareManifest } from '@fleet/firmware';
import { valid as validSemver } from 'semver';

/** Why a matched gateway is left out of a rollout. */
export type ExclusionCode =
  | 'WRONG_MODEL'
  | 'WRONG_HARDWARE'
  | 'BELOW_MIN_VERSION'
  | 'DOWNGRADE'
  | 'ALREADY_RUNNING'
  | 'UNKNOWN_VERSION'
  | 'IN_OTHER_ROLLOUT';

export interface GatewayFacts {
  id: string;
  name: string;
  model: string;
  hardwareRevision: string;
  firmwareVersion: string | null;
  busyIn?: string | null;
}

export type Verdict = { eligible: true } | { eligible: false; code: ExclusionCode; reason: string };

/** Whether a gateway can take the release now, and if not, a reason an operator understands. */
export function eligibility(
  manifest: Pick<FirmwareManifest, 'version' | 'models' | 'hardwareRevisions' | 'minVersion'>,
  gateway: GatewayFacts,
  allowDowngrade: boolean,
): Verdict {
  if (gateway.busyIn)
    return {
      eligible: false,
      code: 'IN_OTHER_ROLLOUT',
      reason: `already being updated by rollout ${gateway.busyIn}`,
    };
  if (!gateway.firmwareVersion || validSemver(gateway.firmwareVersion) !== gateway.firmwareVersion)
    return {
      eligible: false,
      code: 'UNKNOWN_VERSION',
      reason: gateway.firmwareVersion
        ? `reports firmware "${gateway.firmwareVersion}", which is not a semantic version`
        : 'has not reported its firmware version yet (never connected)',
    };
  const verdict = checkCompatibility(
    manifest,
    {
      model: gateway.model,
      hardwareRevision: gateway.hardwareRevision,
      currentVersion: gateway.firmwareVersion,
    },
    { allowDowngrade },
  );
  if (verdict.compatible) return { eligible: true };
  return {
    eligible: false,
    code: verdict.code === 'SAME_VERSION' ? 'ALREADY_RUNNING' : verdict.code,
    reason: verdict.reason,
  };
}

export interface ExclusionSummary {
  total: number;
  byReason: Record<string, number>;
  sample: { gatewayId: string; name: string; code: string; reason: string }[];
}

/** Splits matched gateways into eligible ones and a summary of the rest (counts + first few). */
export function screen<T extends GatewayFacts>(
  manifest: Pick<FirmwareManifest, 'version' | 'models' | 'hardwareRevisions' | 'minVersion'>,
  gateways: readonly T[],
  allowDowngrade: boolean,
  sampleSize = 20,
): { eligible: T[]; excluded: ExclusionSummary } {
  const eligible: T[] = [];
  const excluded: ExclusionSummary = { total: 0, byReason: {}, sample: [] };
  for (const gateway of gateways) {
    const verdict = eligibility(manifest, gateway, allowDowngrade);
    if (verdict.eligible) {
      eligible.push(gateway);
      continue;
    }
    excluded.total += 1;
    excluded.byReason[verdict.code] = (excluded.byReason[verdict.code] ?? 0) + 1;
    if (excluded.sample.length < sampleSize)
      excluded.sample.push({
        gatewayId: gateway.id,
        name: gateway.name,
        code: verdict.code,
        reason: verdict.reason,
      });
  }
  return { eligible, excluded };
}

/** "3 WRONG_MODEL, 1 ALREADY_RUNNING (e.g. cabinet-12: release 1.4.0 is for rpi5, not rpi4)". */
export function describeExclusions(summary: ExclusionSummary): string {
  const counts = Object.entries(summary.byReason)
    .sort((a, b) => b[1] - a[1])
    .map(([code, n]) => `${n} ${code}`)
    .join(', ');
  const first = summary.sample[0];
  return first ? `${counts} (e.g. ${first.name}: ${first.reason})` : counts;
}
