import type { FirmwareManifest, RaucInstaller } from '@fleet/firmware';
import type { OtaInstaller, OtaInstallerState } from './ota-installer.port.js';

/**
 * Whole OS images through RAUC: install to the other rootfs slot, reboot into it, `mark-good` once
 * healthy, `mark-bad` and reboot when not. The bootloader's boot counting falls back on its own when
 * the new image does not come up at all; `reconcile()` at the next start records that as rolled back.
 */
export class RaucInstallerAdapter implements OtaInstaller {
  readonly artifactKind = 'rauc-bundle' as const;

  constructor(private readonly rauc: RaucInstaller) {}

  async reconcile(): Promise<OtaInstallerState> {
    const status = await this.rauc.reconcile();
    const runningTrial = status.running?.trial === true && status.trial !== null;
    return {
      runningVersion: status.running?.version ?? 'unknown',
      runningTrialOf: runningTrial ? (status.trial?.deploymentId ?? '') : null,
      pendingTrial:
        status.trial && !runningTrial
          ? { version: status.trial.version, deploymentId: status.trial.deploymentId }
          : null,
      lastResult: status.lastResult,
    };
  }

  async install(artifact: string, manifest: FirmwareManifest, deploymentId: string): Promise<void> {
    await this.rauc.install(artifact, manifest, { deploymentId });
  }

  async switchToTrial(): Promise<void> {
    await this.rauc.reboot();
  }

  async abandonTrial(reason: string): Promise<void> {
    await this.rauc.rollback(reason);
  }

  async commitTrial(): Promise<void> {
    await this.rauc.commit();
  }

  async failTrial(reason: string): Promise<void> {
    await this.rauc.rollback(reason);
    await this.rauc.reboot();
  }
}
