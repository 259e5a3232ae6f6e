import type { ArtifactKind, FirmwareManifest, InstallResultRecord } from '@fleet/firmware';

/** What the installer says about this boot, read once when the agent starts. */
export interface OtaInstallerState {
  /** The version this process runs (the A/B slot's, or the booted OS image's). */
  readonly runningVersion: string;
  /** Set when this process is the uncommitted trial of that deployment ('' when it has no id). */
  readonly runningTrialOf: string | null;
  /** Installed but not started yet (the switch never happened), by deployment id. */
  readonly pendingTrial: { readonly version: string; readonly deploymentId: string | null } | null;
  /** The last commit, rollback or failed install, with its reason; kept until the next install. */
  readonly lastResult: InstallResultRecord | null;
}

/**
 * How the agent installs one kind of artifact and moves between versions: the A/B slots of its own
 * release bundle (restart into the other slot), or RAUC for whole OS images (reboot). Both keep the
 * committed version bootable until the new one has proved healthy and committed.
 */
export interface OtaInstaller {
  readonly artifactKind: ArtifactKind;
  /** Reads the state (RAUC also notices here that the bootloader fell back after a reboot). */
  reconcile(): Promise<OtaInstallerState>;
  /** Writes a verified artifact to the inactive slot as a pending trial. */
  install(artifact: string, manifest: FirmwareManifest, deploymentId: string): Promise<void>;
  /** Starts the pending trial: the agent restarts into the new slot, or the machine reboots. */
  switchToTrial(reason: string): Promise<void>;
  /** Drops a pending trial that never ran (canceled, install deadline passed). */
  abandonTrial(reason: string): Promise<void>;
  /** Called by the running trial once healthy: the new version becomes the committed one. */
  commitTrial(): Promise<void>;
  /** Called by the running trial when unhealthy: back to the committed version (restart or reboot). */
  failTrial(reason: string): Promise<void>;
}
