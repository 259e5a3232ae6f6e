import { readFileSync } from 'node:fs';
import { mkdir, open, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { writeFileAtomic } from './atomic-file.js';
import { FirmwareError, FirmwareErrorCode } from './firmware-error.js';
import type { InstallResultRecord, TrialInfo } from './slot-installer.port.js';

export const AB_SLOTS = ['a', 'b'] as const;
export type AbSlot = (typeof AB_SLOTS)[number];

export interface AbSlotContent {
  readonly version: string;
  readonly entry: string;
  readonly installedAt: string;
}

export interface AbSlotState {
  readonly format: 1;
  readonly committed: { readonly slot: AbSlot; readonly version: string } | null;
  readonly slots: Readonly<Record<AbSlot, AbSlotContent | null>>;
  readonly trial: (TrialInfo & { readonly slot: AbSlot }) | null;
  /** Set while a bundle is unpacked into `slot`; found set at boot means the install was cut short. */
  readonly installing: {
    readonly slot: AbSlot;
    readonly version: string;
    readonly deploymentId: string | null;
    readonly pid: number;
    readonly startedAt: string;
  } | null;
  /** The last boot decision: which slot the supervisor started. */
  readonly booted: {
    readonly slot: AbSlot;
    readonly version: string;
    readonly trial: boolean;
    readonly at: string;
  } | null;
  readonly lastResult: InstallResultRecord | null;
}

export const EMPTY_AB_STATE: AbSlotState = {
  format: 1,
  committed: null,
  slots: { a: null, b: null },
  trial: null,
  installing: null,
  booted: null,
  lastResult: null,
};

const LOCK_WAIT_MS = 10_000;

/**
 * `<stateDir>/slots/state.json`, replaced atomically (temp + fsync + rename + directory fsync), so a
 * kill at any instant leaves the previous or the next state. Mutations run under a lock file so the
 * agent (install, commit) and its supervisor (boot decision, rollback) never lose each other's writes.
 */
export class SlotStateStore {
  readonly file: string;
  private readonly lockFile: string;

  constructor(readonly dir: string) {
    this.file = join(dir, 'state.json');
    this.lockFile = join(dir, 'state.lock');
  }

  async read(): Promise<AbSlotState> {
    let raw: string;
    try {
      raw = await readFile(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return EMPTY_AB_STATE;
      throw error;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch (cause) {
      throw new FirmwareError(
        FirmwareErrorCode.STATE_CORRUPT,
        `${this.file} is not valid JSON`,
        {},
        { cause },
      );
    }
    return checkState(parsed, this.file);
  }

  /** Read, change and write the state while holding the lock; `change` returns the new state. */
  async update<T>(
    change: (
      state: AbSlotState,
    ) => { state: AbSlotState; result: T } | Promise<{ state: AbSlotState; result: T }>,
  ): Promise<T> {
    await mkdir(this.dir, { recursive: true });
    await this.lock();
    try {
      const current = await this.read();
      const { state, result } = await change(current);
      if (state !== current)
        await writeFileAtomic(this.file, `${JSON.stringify(state, null, 2)}\n`);
      return result;
    } finally {
      await rm(this.lockFile, { force: true });
    }
  }

  private async lock(): Promise<void> {
    const giveUpAt = Date.now() + LOCK_WAIT_MS;
    for (;;) {
      try {
        const handle = await open(this.lockFile, 'wx');
        try {
          await handle.writeFile(String(process.pid));
        } finally {
          await handle.close();
        }
        return;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      if (await this.lockIsStale()) {
        await rm(this.lockFile, { force: true });
        continue;
      }
      if (Date.now() > giveUpAt)
        throw new FirmwareError(
          FirmwareErrorCode.IO_TIMEOUT,
          `${this.lockFile} stayed locked for ${LOCK_WAIT_MS} ms`,
        );
      await sleep(15);
    }
  }

  // A lock left by a killed process must not wedge the gateway: its owner's pid is gone.
  private async lockIsStale(): Promise<boolean> {
    try {
      const owner = Number((await readFile(this.lockFile, 'utf8')).trim());
      if (!Number.isInteger(owner) || owner <= 0) {
        // Created but not yet written, or cut short while writing: stale only once it is old.
        const age = Date.now() - (await stat(this.lockFile)).mtimeMs;
        return age > 2000;
      }
      return !isAlive(owner);
    } catch {
      return false;
    }
  }
}

/** Whether `pid` is a live process (a zombie, killed but not yet reaped, counts as dead). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true; // no /proc: trust kill(0)
  }
}

function checkState(input: unknown, file: string): AbSlotState {
  const bad = (why: string): FirmwareError =>
    new FirmwareError(FirmwareErrorCode.STATE_CORRUPT, `${file}: ${why}`);
  if (typeof input !== 'object' || input === null) throw bad('not an object');
  const s = input as Partial<AbSlotState>;
  if (s.format !== 1) throw bad(`format must be 1, got ${String(s.format)}`);
  const isSlot = (v: unknown): v is AbSlot => v === 'a' || v === 'b';
  if ((s.committed ?? null) !== null && !isSlot(s.committed?.slot))
    throw bad('committed must be null or { slot: "a"|"b", version }');
  if (typeof s.slots !== 'object' || s.slots === null) throw bad('slots must hold a and b');
  for (const slot of AB_SLOTS) {
    const c = (s.slots as Partial<Record<AbSlot, Partial<AbSlotContent> | null>>)[slot];
    if (
      c === undefined ||
      (c !== null && (typeof c.version !== 'string' || typeof c.entry !== 'string'))
    )
      throw bad(`slots.${slot} must be null or { version, entry, installedAt }`);
  }
  if ((s.trial ?? null) !== null && !isSlot(s.trial?.slot))
    throw bad('trial must be null or { slot: "a"|"b", ... }');
  if ((s.installing ?? null) !== null && !isSlot(s.installing?.slot))
    throw bad('installing must be null or { slot: "a"|"b", ... }');
  if ((s.booted ?? null) !== null && !isSlot(s.booted?.slot))
    throw bad('booted must be null or { slot: "a"|"b", ... }');
  return { ...EMPTY_AB_STATE, ...s };
}
