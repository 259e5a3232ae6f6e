import { randomBytes } from 'node:crypto';
import { lstat, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { unpackAgentBundle } from './agent-bundle.js';
import { verifyArtifactFile } from './artifact-digest.js';
import { fsyncDir } from './atomic-file.js';
import { FirmwareError, FirmwareErrorCode } from './firmware-error.js';
import type { FirmwareManifest } from './firmware-manifest.dto.js';
import type {
  InstallerStatus,
  InstallOptions,
  InstallResult,
  SlotInstaller,
} from './slot-installer.port.js';
import { isAlive, SlotStateStore, type AbSlot, type AbSlotState } from './slot-state.store.js';

/** Named points inside install/boot/commit, for crash tests (kill -9 at each) and tracing. */
export type AbInstallStep =
  | 'install:marked'
  | 'install:unpacking'
  | 'install:unpacked'
  | 'install:slot-replaced'
  | 'install:switched'
  | 'boot:decided'
  | 'commit:before'
  | 'commit:done'
  | 'rollback:done';

export interface AbSlotInstallerOptions {
  /** Slots live in `<stateDir>/slots/{a,b}`, state in `<stateDir>/slots/state.json`. */
  readonly stateDir: string;
  /** How many times a pending trial is started before it counts as failed; default 2. */
  readonly maxBootAttempts?: number;
  readonly now?: () => Date;
  /** Called synchronously at each step; crash tests kill the process from here. */
  readonly onStep?: (step: AbInstallStep, detail: { slot?: AbSlot; path?: string }) => void;
}

/** What the supervisor starts: `node <dir>/<entry>`. */
export interface BootDecision {
  readonly slot: AbSlot;
  readonly version: string;
  /** Absolute slot directory (the child's cwd). */
  readonly dir: string;
  /** Absolute path of the entry script. */
  readonly entryPath: string;
  readonly trial: boolean;
  /** Boot number of the trial (1-based), or 0 for the committed slot. */
  readonly attempt: number;
  readonly deploymentId: string | null;
  /** Set when this decision rolled a trial back (boot budget used up, interrupted install...). */
  readonly rolledBack: string | null;
}

/**
 * A/B slots for the agent's own release bundle, on any Linux filesystem. The committed slot is never
 * written while it is committed; an install unpacks into the other slot and marks it as a trial; the
 * supervisor's `decideBoot()` starts the trial at most `maxBootAttempts` times until the agent calls
 * `commit()`, and otherwise falls back to the committed slot and records `rolled_back`.
 */
export class AbSlotInstaller implements SlotInstaller {
  readonly stateDir: string;
  readonly slotsDir: string;
  readonly store: SlotStateStore;
  private readonly maxBootAttempts: number;
  private readonly now: () => Date;

  constructor(private readonly options: AbSlotInstallerOptions) {
    this.stateDir = options.stateDir;
    this.slotsDir = join(options.stateDir, 'slots');
    this.store = new SlotStateStore(this.slotsDir);
    this.maxBootAttempts = options.maxBootAttempts ?? 2;
    this.now = options.now ?? (() => new Date());
  }

  slotDir(slot: AbSlot): string {
    return join(this.slotsDir, slot);
  }

  /**
   * First install on a fresh gateway: unpacks the bundle into slot `a` and commits it directly (there
   * is nothing to fall back to). Refused once a slot is committed.
   */
  async seed(bundle: string): Promise<InstallerStatus> {
    const state = await this.store.read();
    if (state.committed)
      throw new FirmwareError(
        FirmwareErrorCode.INVALID_ARGUMENT,
        `slots are already seeded (committed ${state.committed.version} in slot ${state.committed.slot})`,
      );
    const staging = await this.stage('a', bundle);
    await this.replaceSlot('a', staging.dir);
    await this.store.update((s) => ({
      state: {
        ...s,
        committed: { slot: 'a', version: staging.version },
        slots: { ...s.slots, a: this.content(staging.version, staging.entry) },
      },
      result: undefined,
    }));
    return this.status();
  }

  async install(
    artifact: string,
    manifest: FirmwareManifest,
    options: InstallOptions = {},
  ): Promise<InstallResult> {
    if (manifest.kind !== 'agent-bundle')
      throw new FirmwareError(
        FirmwareErrorCode.WRONG_KIND,
        `the A/B installer installs agent-bundle releases, not ${manifest.kind}`,
      );
    await verifyArtifactFile(artifact, manifest);
    const deploymentId = options.deploymentId ?? null;
    const target = await this.store.update((s) => {
      if (s.trial)
        throw new FirmwareError(
          FirmwareErrorCode.INSTALL_IN_PROGRESS,
          `a trial of ${s.trial.version} in slot ${s.trial.slot} is pending; commit or roll it back first`,
        );
      if (s.installing && isAlive(s.installing.pid) && s.installing.pid !== process.pid)
        throw new FirmwareError(
          FirmwareErrorCode.INSTALL_IN_PROGRESS,
          `${s.installing.version} is being installed by process ${s.installing.pid}`,
        );
      if (!s.committed)
        throw new FirmwareError(
          FirmwareErrorCode.NO_BOOTABLE_SLOT,
          'no committed slot to fall back to: seed the slots first',
        );
      const slot = otherSlot(s.committed.slot);
      const installing = {
        slot,
        version: manifest.version,
        deploymentId,
        pid: process.pid,
        startedAt: this.now().toISOString(),
      };
      return {
        state: { ...s, installing, slots: { ...s.slots, [slot]: null } },
        result: slot,
      };
    });
    this.step('install:marked', { slot: target });
    try {
      const staged = await this.stage(target, artifact);
      if (staged.version !== manifest.version)
        throw new FirmwareError(
          FirmwareErrorCode.INVALID_BUNDLE,
          `bundle.json says version ${staged.version}, the manifest says ${manifest.version}`,
        );
      this.step('install:unpacked', { slot: target });
      await this.replaceSlot(target, staged.dir);
      this.step('install:slot-replaced', { slot: target });
      await this.store.update((s) => ({
        state: {
          ...s,
          installing: null,
          slots: { ...s.slots, [target]: this.content(staged.version, staged.entry) },
          trial: {
            slot: target,
            version: manifest.version,
            deploymentId,
            attempts: 0,
            maxAttempts: this.maxBootAttempts,
            startedAt: this.now().toISOString(),
          },
        },
        result: undefined,
      }));
      this.step('install:switched', { slot: target });
    } catch (error) {
      await this.cleanStaging();
      await this.store.update((s) => ({
        state: {
          ...s,
          installing: null,
          lastResult: {
            outcome: 'install_failed',
            slot: target,
            version: manifest.version,
            deploymentId,
            reason: (error as Error).message,
            at: this.now().toISOString(),
          },
        },
        result: undefined,
      }));
      throw error;
    }
    return { slot: target, version: manifest.version, next: 'restart-agent' };
  }

  /**
   * Runs at every supervisor start: picks the slot to run and records the choice. A pending trial is
   * started while its boot budget lasts; an exhausted budget, a missing trial slot or an install that
   * was cut short fall back to the committed slot.
   */
  async decideBoot(): Promise<BootDecision> {
    const decision = await this.store.update(async (s) => {
      let state = s;
      let rolledBack: string | null = null;
      if (state.installing) {
        const i = state.installing;
        rolledBack = `install of ${i.version} into slot ${i.slot} was interrupted before it finished`;
        state = {
          ...state,
          installing: null,
          lastResult: {
            outcome: 'install_failed',
            slot: i.slot,
            version: i.version,
            deploymentId: i.deploymentId,
            reason: rolledBack,
            at: this.now().toISOString(),
          },
        };
      }
      if (state.trial) {
        const t = state.trial;
        const bootable = await this.entryExists(state, t.slot);
        if (bootable && t.attempts < t.maxAttempts) {
          const attempt = t.attempts + 1;
          const at = this.now().toISOString();
          return {
            state: {
              ...state,
              trial: { ...t, attempts: attempt },
              booted: { slot: t.slot, version: t.version, trial: true, at },
            },
            result: this.decision(state, t.slot, true, attempt, t.deploymentId, rolledBack),
          };
        }
        rolledBack = bootable
          ? `trial of ${t.version} did not commit within ${t.maxAttempts} boot attempt(s)`
          : `trial slot ${t.slot} has no runnable ${t.version} bundle`;
        state = this.rolledBackState(state, rolledBack);
      }
      const c = state.committed;
      if (!c || !(await this.entryExists(state, c.slot)))
        throw new FirmwareError(
          FirmwareErrorCode.NO_BOOTABLE_SLOT,
          c
            ? `committed slot ${c.slot} (${c.version}) has no runnable bundle`
            : 'no committed slot: seed the slots first',
        );
      return {
        state: {
          ...state,
          booted: { slot: c.slot, version: c.version, trial: false, at: this.now().toISOString() },
        },
        result: this.decision(state, c.slot, false, 0, null, rolledBack),
      };
    });
    await this.cleanStaging();
    this.step('boot:decided', { slot: decision.slot });
    return decision;
  }

  /**
   * Makes the trial the committed version. Only valid once the supervisor has started the trial slot
   * (success is "runs the new version after restart", never "installed"). With `slot`, also checks
   * the caller runs that slot; committing the already committed slot again is a no-op.
   */
  async commit(expected: { slot?: AbSlot; version?: string } = {}): Promise<InstallerStatus> {
    this.step('commit:before', {});
    await this.store.update((s) => {
      const t = s.trial;
      if (!t) {
        const c = s.committed;
        if (
          expected.slot &&
          c?.slot === expected.slot &&
          (expected.version ?? c.version) === c.version
        )
          return { state: s, result: undefined };
        throw new FirmwareError(FirmwareErrorCode.NO_TRIAL, 'there is no pending trial to commit');
      }
      if (
        (expected.slot && expected.slot !== t.slot) ||
        (expected.version && expected.version !== t.version)
      )
        throw new FirmwareError(
          FirmwareErrorCode.NOT_TRIAL_SLOT,
          `${expected.version ?? 'the caller'} in slot ${expected.slot ?? '?'} cannot commit: the trial is ${t.version} in slot ${t.slot}`,
        );
      if (s.booted?.slot !== t.slot || !s.booted.trial)
        throw new FirmwareError(
          FirmwareErrorCode.NOT_TRIAL_SLOT,
          `trial ${t.version} in slot ${t.slot} has not been started yet; restart into it before committing`,
        );
      return {
        state: {
          ...s,
          committed: { slot: t.slot, version: t.version },
          trial: null,
          booted: { ...s.booted, trial: false },
          lastResult: {
            outcome: 'committed',
            slot: t.slot,
            version: t.version,
            deploymentId: t.deploymentId,
            reason: null,
            at: this.now().toISOString(),
          },
        },
        result: undefined,
      };
    });
    this.step('commit:done', {});
    return this.status();
  }

  /** Abandons the pending trial; the committed slot runs from the next start. */
  async rollback(reason: string): Promise<InstallerStatus> {
    await this.store.update((s) => {
      if (!s.trial)
        throw new FirmwareError(
          FirmwareErrorCode.NO_TRIAL,
          'there is no pending trial to roll back',
        );
      return { state: this.rolledBackState(s, reason), result: undefined };
    });
    this.step('rollback:done', {});
    return this.status();
  }

  async status(): Promise<InstallerStatus & { readonly slots: Record<AbSlot, string | null> }> {
    const s = await this.store.read();
    return {
      kind: 'ab',
      running: s.booted
        ? { slot: s.booted.slot, version: s.booted.version, trial: s.booted.trial }
        : null,
      committed: s.committed,
      trial: s.trial,
      lastResult: s.lastResult,
      slots: { a: s.slots.a?.version ?? null, b: s.slots.b?.version ?? null },
    };
  }

  private rolledBackState(s: AbSlotState, reason: string): AbSlotState {
    const t = s.trial;
    if (!t) return s;
    return {
      ...s,
      trial: null,
      lastResult: {
        outcome: 'rolled_back',
        slot: t.slot,
        version: t.version,
        deploymentId: t.deploymentId,
        reason,
        at: this.now().toISOString(),
      },
    };
  }

  private decision(
    s: AbSlotState,
    slot: AbSlot,
    trial: boolean,
    attempt: number,
    deploymentId: string | null,
    rolledBack: string | null,
  ): BootDecision {
    const content = s.slots[slot];
    if (!content)
      throw new FirmwareError(FirmwareErrorCode.NO_BOOTABLE_SLOT, `slot ${slot} is empty`);
    const dir = this.slotDir(slot);
    return {
      slot,
      version: content.version,
      dir,
      entryPath: join(dir, content.entry),
      trial,
      attempt,
      deploymentId,
      rolledBack,
    };
  }

  private async entryExists(s: AbSlotState, slot: AbSlot): Promise<boolean> {
    const content = s.slots[slot];
    if (!content) return false;
    const st = await lstat(join(this.slotDir(slot), content.entry)).catch(() => undefined);
    return st?.isFile() ?? false;
  }

  private content(
    version: string,
    entry: string,
  ): { version: string; entry: string; installedAt: string } {
    return { version, entry, installedAt: this.now().toISOString() };
  }

  private async stage(
    slot: AbSlot,
    bundle: string,
  ): Promise<{ dir: string; version: string; entry: string }> {
    await this.cleanStaging();
    const dir = join(this.slotsDir, `.staging-${slot}-${randomBytes(4).toString('hex')}`);
    const info = await unpackAgentBundle(
      bundle,
      dir,
      {},
      {
        onEntry: (path) => {
          this.step('install:unpacking', { slot, path });
        },
      },
    );
    return { dir, version: info.version, entry: info.entry };
  }

  /** Swaps the staged tree in: old slot content out first, then a single rename. */
  private async replaceSlot(slot: AbSlot, staged: string): Promise<void> {
    const dir = this.slotDir(slot);
    const trash = join(this.slotsDir, `.old-${slot}-${randomBytes(4).toString('hex')}`);
    await rename(dir, trash).catch((error: unknown) => {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    });
    await rename(staged, dir);
    await fsyncDir(this.slotsDir);
    await rm(trash, { recursive: true, force: true });
  }

  /** Leftovers of an install that was killed half-way. */
  private async cleanStaging(): Promise<void> {
    const names = await readdir(this.slotsDir).catch(() => [] as string[]);
    await Promise.all(
      names
        .filter((n) => n.startsWith('.staging-') || n.startsWith('.old-'))
        .map((n) => rm(join(this.slotsDir, n), { recursive: true, force: true })),
    );
  }

  private step(step: AbInstallStep, detail: { slot?: AbSlot; path?: string }): void {
    this.options.onStep?.(step, detail);
  }
}

function otherSlot(slot: AbSlot): AbSlot {
  return slot === 'a' ? 'b' : 'a';
}
