import type { FirmwareManifest } from './firmware-manifest.dto.js';

/** A pending trial: the new version booted at most `maxAttempts` times until it commits. */
export interface TrialInfo {
  readonly slot: string;
  readonly version: string;
  readonly deploymentId: string | null;
  /** Boots of the trial slot so far. */
  readonly attempts: number;
  readonly maxAttempts: number;
  readonly startedAt: string;
}

export type InstallOutcome = 'committed' | 'rolled_back' | 'install_failed';

/** The last thing that happened to an install, kept until the next one so the agent can report it. */
export interface InstallResultRecord {
  readonly outcome: InstallOutcome;
  readonly slot: string;
  readonly version: string;
  readonly deploymentId: string | null;
  readonly reason: string | null;
  readonly at: string;
}

export interface SlotVersion {
  readonly slot: string;
  readonly version: string;
}

export interface InstallerStatus {
  readonly kind: 'ab' | 'rauc';
  /** The slot started last (A/B: by the supervisor's boot decision; RAUC: the booted slot). */
  readonly running: (SlotVersion & { readonly trial: boolean }) | null;
  readonly committed: SlotVersion | null;
  readonly trial: TrialInfo | null;
  readonly lastResult: InstallResultRecord | null;
}

export interface InstallOptions {
  /** Carried into the trial and the result record so reports name the deployment. */
  readonly deploymentId?: string;
}

export interface InstallResult {
  readonly slot: string;
  readonly version: string;
  /** What must happen next for the new version to run: restart the agent process, or reboot. */
  readonly next: 'restart-agent' | 'reboot';
}

/**
 * Installs a verified artifact to the inactive slot as a trial, then commit or roll back.
 * Callers verify the signed manifest first; installers re-check size and SHA-256 of the artifact.
 */
export interface SlotInstaller {
  install(
    artifact: string,
    manifest: FirmwareManifest,
    options?: InstallOptions,
  ): Promise<InstallResult>;
  /** Makes the running trial the committed version. */
  commit(): Promise<InstallerStatus>;
  /** Abandons the pending trial; the committed version runs after the next restart or reboot. */
  rollback(reason: string): Promise<InstallerStatus>;
  status(): Promise<InstallerStatus>;
}
