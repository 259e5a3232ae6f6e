import { AbSlotInstaller } from './ab-slot-installer.js';
import { FirmwareError, FirmwareErrorCode } from './firmware-error.js';
import type { InstallerStatus } from './slot-installer.port.js';
import type { AbSlot } from './slot-state.store.js';

/** Environment the supervisor gives the agent it starts. */
export const SLOT_ENV = {
  stateDir: 'FLEET_SLOT_STATE_DIR',
  slot: 'FLEET_SLOT',
  version: 'FLEET_SLOT_VERSION',
  trial: 'FLEET_SLOT_TRIAL',
  deploymentId: 'FLEET_SLOT_DEPLOYMENT_ID',
} as const;

/**
 * Exit code with which the agent asks its supervisor to start it again at once, in whatever slot the
 * boot decision picks (after an install, or after rolling its own trial back). EX_TEMPFAIL.
 */
export const RESTART_EXIT_CODE = 75;

/**
 * The agent's side of a trial: which slot and version it runs, and `commit()` once it is healthy
 * (reconnected, buses polling). It writes the same state file the supervisor reads.
 */
export class TrialHandle {
  readonly installer: AbSlotInstaller;

  constructor(
    readonly stateDir: string,
    readonly slot: AbSlot,
    readonly version: string,
    readonly isTrial: boolean,
    readonly deploymentId: string | null,
    options: { maxBootAttempts?: number } = {},
  ) {
    this.installer = new AbSlotInstaller({ stateDir, ...options });
  }

  /** The handle for a process started by a SlotSupervisor, or null when not supervised. */
  static fromEnv(
    env: Readonly<Record<string, string | undefined>>,
    options: { maxBootAttempts?: number } = {},
  ): TrialHandle | null {
    const stateDir = env[SLOT_ENV.stateDir];
    const slot = env[SLOT_ENV.slot];
    const version = env[SLOT_ENV.version];
    if (!stateDir) return null;
    if ((slot !== 'a' && slot !== 'b') || !version)
      throw new FirmwareError(
        FirmwareErrorCode.INVALID_ARGUMENT,
        `${SLOT_ENV.slot} must be a or b and ${SLOT_ENV.version} set when ${SLOT_ENV.stateDir} is`,
      );
    const deploymentId = env[SLOT_ENV.deploymentId];
    return new TrialHandle(
      stateDir,
      slot,
      version,
      env[SLOT_ENV.trial] === '1',
      deploymentId ? deploymentId : null,
      options,
    );
  }

  /** Commits this process's slot. Idempotent; refuses if this slot is not the pending trial. */
  commit(): Promise<InstallerStatus> {
    return this.installer.commit({ slot: this.slot, version: this.version });
  }

  /** Gives up the trial from inside; exit with RESTART_EXIT_CODE afterwards to run the committed slot. */
  async rollback(reason: string): Promise<InstallerStatus> {
    const status = await this.installer.status();
    if (status.trial?.slot !== this.slot)
      throw new FirmwareError(
        FirmwareErrorCode.NOT_TRIAL_SLOT,
        `slot ${this.slot} is not the pending trial and cannot roll it back`,
      );
    return this.installer.rollback(reason);
  }

  status(): Promise<InstallerStatus> {
    return this.installer.status();
  }
}
