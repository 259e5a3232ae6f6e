import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { verifyArtifactFile } from './artifact-digest.js';
import { writeFileAtomic } from './atomic-file.js';
import type { CommandResult, CommandRunner } from './command-runner.port.js';
import { FirmwareError, FirmwareErrorCode } from './firmware-error.js';
import type { FirmwareManifest } from './firmware-manifest.dto.js';
import type {
  InstallerStatus,
  InstallOptions,
  InstallResult,
  InstallResultRecord,
  SlotInstaller,
  SlotVersion,
  TrialInfo,
} from './slot-installer.port.js';

export interface RaucInstallerOptions {
  readonly runner: CommandRunner;
  /** Where the installer keeps its trial record (`rauc-state.json`). */
  readonly stateDir: string;
  /** Default `rauc`, found on PATH. */
  readonly raucPath?: string;
  /** Default `['systemctl', 'reboot']`. */
  readonly rebootCommand?: readonly string[];
  /** Slot class holding the OS image; default `rootfs`. */
  readonly slotClass?: string;
  /** Version reported for a slot RAUC has no bundle record for (the factory image). */
  readonly factoryVersion?: string;
  /** Default 30 minutes: writing an image to eMMC is slow. */
  readonly installTimeoutMs?: number;
  /** Default 30 s for status, mark-good, mark-bad and mark-active. */
  readonly commandTimeoutMs?: number;
  readonly now?: () => Date;
  /** Identifies the current boot; default Linux's /proc/sys/kernel/random/boot_id. */
  readonly bootId?: () => Promise<string>;
}

/** The parts of `rauc status --output-format=json` this adapter relies on. */
export interface RaucSlotStatus {
  readonly name: string;
  readonly class: string;
  readonly bootname: string | null;
  readonly state: string;
  readonly bootStatus: string | null;
  readonly version: string | null;
}

export interface RaucStatus {
  readonly compatible: string;
  readonly booted: RaucSlotStatus;
  readonly primary: string | null;
  readonly slots: readonly RaucSlotStatus[];
}

interface RaucRecord {
  readonly format: 1;
  readonly committed: SlotVersion | null;
  readonly trial: (TrialInfo & { readonly fromSlot: string; readonly bootId: string }) | null;
  readonly lastResult: InstallResultRecord | null;
}

const EMPTY: RaucRecord = { format: 1, committed: null, trial: null, lastResult: null };

/**
 * SlotInstaller for whole OS images through the RAUC CLI: `rauc install`, then a reboot into the new
 * slot (the bootloader counts boots), `rauc status mark-good` to commit, `mark-bad` / `mark-active`
 * to roll back. Call `reconcile()` when the agent starts after a reboot: if the bootloader fell back
 * to the old slot, the trial is recorded as rolled back.
 */
export class RaucInstaller implements SlotInstaller {
  private readonly rauc: string;
  private readonly recordFile: string;
  private readonly slotClass: string;
  private readonly commandTimeoutMs: number;
  private readonly now: () => Date;
  private readonly bootId: () => Promise<string>;

  constructor(private readonly options: RaucInstallerOptions) {
    this.rauc = options.raucPath ?? 'rauc';
    this.recordFile = join(options.stateDir, 'rauc-state.json');
    this.slotClass = options.slotClass ?? 'rootfs';
    this.commandTimeoutMs = options.commandTimeoutMs ?? 30_000;
    this.now = options.now ?? (() => new Date());
    this.bootId =
      options.bootId ??
      (async () => (await readFile('/proc/sys/kernel/random/boot_id', 'utf8')).trim());
  }

  async install(
    artifact: string,
    manifest: FirmwareManifest,
    options: InstallOptions = {},
  ): Promise<InstallResult> {
    if (manifest.kind !== 'rauc-bundle')
      throw new FirmwareError(
        FirmwareErrorCode.WRONG_KIND,
        `the RAUC installer installs rauc-bundle releases, not ${manifest.kind}`,
      );
    const record = await this.readRecord();
    if (record.trial)
      throw new FirmwareError(
        FirmwareErrorCode.INSTALL_IN_PROGRESS,
        `a trial of ${record.trial.version} in ${record.trial.slot} is pending; commit or roll it back first`,
      );
    await verifyArtifactFile(artifact, manifest);
    const before = await this.raucStatus();
    await this.exec(['install', artifact], this.options.installTimeoutMs ?? 30 * 60_000);
    const after = await this.raucStatus();
    if (!after.primary || after.primary === before.booted.name)
      throw new FirmwareError(
        FirmwareErrorCode.COMMAND_FAILED,
        `rauc install succeeded but the next boot is still ${after.primary ?? 'unset'}; refusing to reboot into nothing new`,
      );
    const trial = {
      slot: after.primary,
      fromSlot: before.booted.name,
      version: manifest.version,
      deploymentId: options.deploymentId ?? null,
      attempts: 0,
      maxAttempts: 1,
      startedAt: this.now().toISOString(),
      bootId: await this.bootId(),
    };
    await this.writeRecord({
      ...record,
      committed: record.committed ?? this.slotVersion(before.booted),
      trial,
    });
    return { slot: trial.slot, version: manifest.version, next: 'reboot' };
  }

  /** Runs the reboot command; the new slot boots next (RAUC set it primary at install). */
  async reboot(): Promise<void> {
    const [command, ...args] = this.options.rebootCommand ?? ['systemctl', 'reboot'];
    if (!command)
      throw new FirmwareError(FirmwareErrorCode.INVALID_ARGUMENT, 'empty reboot command');
    const result = await this.options.runner.run(command, args, {
      timeoutMs: this.commandTimeoutMs,
    });
    if (result.code !== 0) throw commandFailed([command, ...args], result);
  }

  /**
   * Call when the agent starts. After a reboot, a trial whose slot is not the booted one means the
   * bootloader fell back (boot counting ran out, or the image did not come up): recorded as
   * rolled back. Otherwise the trial is now running and counts one boot attempt.
   */
  async reconcile(): Promise<InstallerStatus> {
    const record = await this.readRecord();
    const t = record.trial;
    if (t) {
      const bootId = await this.bootId();
      if (bootId !== t.bootId) {
        const status = await this.raucStatus();
        const trial =
          status.booted.name === t.slot ? { ...t, attempts: t.attempts + 1, bootId } : null;
        await this.writeRecord({
          ...record,
          trial,
          lastResult: trial
            ? record.lastResult
            : this.result(
                t,
                'rolled_back',
                `booted ${status.booted.name} instead of trial slot ${t.slot}: the bootloader fell back`,
              ),
        });
      }
    }
    return this.status();
  }

  async commit(): Promise<InstallerStatus> {
    const record = await this.readRecord();
    const t = record.trial;
    if (!t)
      throw new FirmwareError(FirmwareErrorCode.NO_TRIAL, 'there is no pending trial to commit');
    const status = await this.raucStatus();
    if (status.booted.name !== t.slot)
      throw new FirmwareError(
        FirmwareErrorCode.NOT_TRIAL_SLOT,
        `booted slot is ${status.booted.name}, not the trial slot ${t.slot}: reboot into it before committing`,
      );
    await this.exec(['status', 'mark-good', 'booted'], this.commandTimeoutMs);
    await this.writeRecord({
      ...record,
      committed: { slot: t.slot, version: t.version },
      trial: null,
      lastResult: this.result(t, 'committed', null),
    });
    return this.status();
  }

  /**
   * Before the reboot: points the bootloader back at the running slot. After it: marks the booted
   * trial slot bad so the next boot (call reboot()) returns to the previous slot.
   */
  async rollback(reason: string): Promise<InstallerStatus> {
    const record = await this.readRecord();
    const t = record.trial;
    if (!t)
      throw new FirmwareError(FirmwareErrorCode.NO_TRIAL, 'there is no pending trial to roll back');
    const status = await this.raucStatus();
    if (status.booted.name === t.slot)
      await this.exec(['status', 'mark-bad', 'booted'], this.commandTimeoutMs);
    else await this.exec(['status', 'mark-active', 'booted'], this.commandTimeoutMs);
    await this.writeRecord({
      ...record,
      trial: null,
      lastResult: this.result(t, 'rolled_back', reason),
    });
    return this.status();
  }

  async status(): Promise<InstallerStatus> {
    const record = await this.readRecord();
    const status = await this.raucStatus();
    const running = this.slotVersion(status.booted);
    return {
      kind: 'rauc',
      running: { ...running, trial: record.trial?.slot === status.booted.name },
      committed: record.committed ?? (status.booted.bootStatus === 'good' ? running : null),
      trial: record.trial,
      lastResult: record.lastResult,
    };
  }

  /** `rauc status --output-format=json`, reduced to the slots of the configured class. */
  async raucStatus(): Promise<RaucStatus> {
    const result = await this.exec(['status', '--output-format=json'], this.commandTimeoutMs);
    return parseRaucStatus(result.stdout, this.slotClass);
  }

  private slotVersion(slot: RaucSlotStatus): SlotVersion {
    return { slot: slot.name, version: slot.version ?? this.options.factoryVersion ?? 'unknown' };
  }

  private result(
    t: TrialInfo,
    outcome: InstallResultRecord['outcome'],
    reason: string | null,
  ): InstallResultRecord {
    return {
      outcome,
      slot: t.slot,
      version: t.version,
      deploymentId: t.deploymentId,
      reason,
      at: this.now().toISOString(),
    };
  }

  private async exec(args: readonly string[], timeoutMs: number): Promise<CommandResult> {
    const result = await this.options.runner.run(this.rauc, args, { timeoutMs });
    if (result.code !== 0) throw commandFailed([this.rauc, ...args], result);
    return result;
  }

  private async readRecord(): Promise<RaucRecord> {
    try {
      const parsed = JSON.parse(await readFile(this.recordFile, 'utf8')) as Partial<RaucRecord>;
      if (parsed.format !== 1) throw new Error('format must be 1');
      return { ...EMPTY, ...parsed };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return EMPTY;
      throw new FirmwareError(
        FirmwareErrorCode.STATE_CORRUPT,
        `${this.recordFile}: ${(error as Error).message}`,
        {},
        { cause: error },
      );
    }
  }

  private async writeRecord(record: RaucRecord): Promise<void> {
    await mkdir(this.options.stateDir, { recursive: true });
    await writeFileAtomic(this.recordFile, `${JSON.stringify(record, null, 2)}\n`);
  }
}

function commandFailed(line: readonly string[], result: CommandResult): FirmwareError {
  const detail = (result.stderr || result.stdout).trim().split('\n').slice(-3).join(' | ');
  return new FirmwareError(
    FirmwareErrorCode.COMMAND_FAILED,
    `${line.join(' ')} exited with ${result.code}${detail ? `: ${detail}` : ''}`,
    { exitCode: result.code },
  );
}

/** Parses RAUC's JSON status; the booted slot is the one whose state is "booted". */
export function parseRaucStatus(stdout: string, slotClass = 'rootfs'): RaucStatus {
  const invalid = (why: string): FirmwareError =>
    new FirmwareError(FirmwareErrorCode.RAUC_STATUS_INVALID, `rauc status: ${why}`);
  let data: unknown;
  try {
    data = JSON.parse(stdout);
  } catch {
    throw invalid('output is not JSON');
  }
  if (typeof data !== 'object' || data === null) throw invalid('output is not an object');
  const d = data as Record<string, unknown>;
  if (!Array.isArray(d.slots)) throw invalid('no "slots" list');
  const slots: RaucSlotStatus[] = [];
  for (const item of d.slots as unknown[]) {
    if (typeof item !== 'object' || item === null) throw invalid('a slot entry is not an object');
    for (const [name, value] of Object.entries(item as Record<string, unknown>)) {
      if (typeof value !== 'object' || value === null)
        throw invalid(`slot ${name} is not an object`);
      const v = value as Record<string, unknown>;
      if (v.class !== slotClass) continue;
      const bundle = (v.slot_status as { bundle?: { version?: unknown } } | undefined)?.bundle;
      slots.push({
        name,
        class: slotClass,
        bootname: typeof v.bootname === 'string' ? v.bootname : null,
        state: typeof v.state === 'string' ? v.state : 'unknown',
        bootStatus: typeof v.boot_status === 'string' ? v.boot_status : null,
        version: typeof bundle?.version === 'string' ? bundle.version : null,
      });
    }
  }
  const booted = slots.find((s) => s.state === 'booted');
  if (!booted) throw invalid(`no ${slotClass} slot is in state "booted"`);
  const primary = typeof d.boot_primary === 'string' ? d.boot_primary : null;
  return {
    compatible: typeof d.compatible === 'string' ? d.compatible : '',
    booted,
    primary,
    slots,
  };
}
