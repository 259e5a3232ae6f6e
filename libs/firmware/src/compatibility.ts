import { compare, valid as validSemver } from 'semver';
import { FirmwareError, FirmwareErrorCode } from './firmware-error.js';
import type { FirmwareManifest } from './firmware-manifest.dto.js';

export interface GatewayIdentity {
  readonly model: string;
  readonly hardwareRevision: string;
  /** Version the gateway runs now (semver). */
  readonly currentVersion: string;
}

export interface CompatibilityOptions {
  /** Installing an older version than the current one is refused unless this is set. */
  readonly allowDowngrade?: boolean;
  /** Reinstalling the running version is refused unless this is set. */
  readonly allowSameVersion?: boolean;
}

export type IncompatibilityCode =
  | typeof FirmwareErrorCode.WRONG_MODEL
  | typeof FirmwareErrorCode.WRONG_HARDWARE
  | typeof FirmwareErrorCode.BELOW_MIN_VERSION
  | typeof FirmwareErrorCode.DOWNGRADE
  | typeof FirmwareErrorCode.SAME_VERSION;

export type CompatibilityVerdict =
  | { readonly compatible: true }
  | { readonly compatible: false; readonly code: IncompatibilityCode; readonly reason: string };

type ManifestTarget = Pick<
  FirmwareManifest,
  'version' | 'models' | 'hardwareRevisions' | 'minVersion'
>;

/**
 * Whether a release may be installed on a gateway. Checks in order: model, hardware revision,
 * minimum current version, then version direction (downgrade, same version). Pure; no exceptions
 * for incompatibility so a control plane can screen thousands of gateways cheaply.
 */
export function checkCompatibility(
  manifest: ManifestTarget,
  gateway: GatewayIdentity,
  options: CompatibilityOptions = {},
): CompatibilityVerdict {
  if (validSemver(gateway.currentVersion) !== gateway.currentVersion)
    throw new FirmwareError(
      FirmwareErrorCode.INVALID_ARGUMENT,
      `gateway.currentVersion: "${gateway.currentVersion}" is not a semantic version`,
      { issues: [{ field: 'gateway.currentVersion', reason: 'must be a semantic version' }] },
    );
  if (!manifest.models.includes(gateway.model))
    return refuse(
      FirmwareErrorCode.WRONG_MODEL,
      `release ${manifest.version} is for models ${manifest.models.join(', ')}, not ${gateway.model}`,
    );
  if (manifest.hardwareRevisions && !manifest.hardwareRevisions.includes(gateway.hardwareRevision))
    return refuse(
      FirmwareErrorCode.WRONG_HARDWARE,
      `release ${manifest.version} is for hardware revisions ${manifest.hardwareRevisions.join(', ')}, not ${gateway.hardwareRevision}`,
    );
  if (manifest.minVersion && compare(gateway.currentVersion, manifest.minVersion) < 0)
    return refuse(
      FirmwareErrorCode.BELOW_MIN_VERSION,
      `release ${manifest.version} needs at least ${manifest.minVersion} installed; the gateway runs ${gateway.currentVersion}`,
    );
  const direction = compare(manifest.version, gateway.currentVersion);
  if (direction === 0 && !options.allowSameVersion)
    return refuse(
      FirmwareErrorCode.SAME_VERSION,
      `the gateway already runs ${gateway.currentVersion}`,
    );
  if (direction < 0 && !options.allowDowngrade)
    return refuse(
      FirmwareErrorCode.DOWNGRADE,
      `release ${manifest.version} is older than the running ${gateway.currentVersion}; downgrades must be explicitly allowed`,
    );
  return { compatible: true };
}

/** Like checkCompatibility, but throws the FirmwareError for the first failed rule. */
export function assertCompatible(
  manifest: ManifestTarget,
  gateway: GatewayIdentity,
  options: CompatibilityOptions = {},
): void {
  const verdict = checkCompatibility(manifest, gateway, options);
  if (!verdict.compatible) throw new FirmwareError(verdict.code, verdict.reason);
}

function refuse(code: IncompatibilityCode, reason: string): CompatibilityVerdict {
  return { compatible: false, code, reason };
}
