import type { FirmwareManifest, TrialHandle } from '@fleet/firmware';
import type { OtaInstaller, OtaInstallerState } from './ota-installer.port.js';

/**
 * The agent's own release bundles in A/B slots (`<stateDir>/slots/{a,b}`), under `gateway-agent
 * supervise`. Switching means exiting with RESTART_EXIT_CODE: the supervisor starts the trial slot,
 * and rolls it back by itself if the trial dies or does not commit in time.
 */
export class AbSlotInstallerAdapter implements OtaInstaller {
  readonly artifactKind = 'agent-bundle' as const;

  constructor(
    private readonly handle: TrialHandle,
    /** Stops the agent and exits with RESTART_EXIT_CODE; returns at once. */
    private readonly restart: (reason: string) => void,
  ) {}

  async reconcile(): Promise<OtaInstallerState> {
    const status = await this.handle.status();
    const trial = status.trial;
    const isRunningTrial = this.handle.isTrial && trial?.slot === this.handle.slot;
    return {
      runningVersion: this.handle.version,
      runningTrialOf: isRunningTrial
        ? (trial.deploymentId ?? this.handle.deploymentId ?? '')
        : null,
      pendingTrial:
        trial && !isRunningTrial
          ? { version: trial.version, deploymentId: trial.deploymentId }
          : null,
      lastResult: status.lastResult,
    };
  }

  async install(artifact: string, manifest: FirmwareManifest, deploymentId: string): Promise<void> {
    await this.handle.installer.install(artifact, manifest, { deploymentId });
  }

  switchToTrial(reason: string): Promise<void> {
    this.restart(reason);
    return Promise.resolve();
  }

  async abandonTrial(reason: string): Promise<void> {
    await this.handle.installer.rollback(reason);
  }

  async commitTrial(): Promise<void> {
    await this.handle.commit();
  }

  async failTrial(reason: string): Promise<void> {
    await this.handle.rollback(reason);
    this.restart(`trial rolled back: ${reason}`);
  }
}
