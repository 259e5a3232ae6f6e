import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { packageRoot } from '@fleet/common';
import { ChildProcessCommandRunner } from '@fleet/firmware';

/** Directory holding the fake `rauc` and `fake-reboot` executables (Python, /usr/bin/python3). */
export const fakeRaucBin = join(packageRoot(), 'test/support/firmware/fake-rauc');

export interface FakeRaucSlot {
  bootname: string;
  device: string;
  boot_status: 'good' | 'bad';
  version: string | null;
  sha256?: string | null;
  size?: number;
}

/** What the fake device looks like; the fake CLI reads and writes it on every call. */
export interface FakeRaucState {
  compatible: string;
  booted: string;
  primary: string;
  bootId: number;
  slots: Record<string, FakeRaucSlot>;
  /** Slots the "bootloader" cannot boot (it falls back to the other one). */
  failBoot?: string[];
  /** When set, `rauc install` fails with this message on stderr. */
  failInstall?: string;
  /** When set, every rauc call hangs (for deadline tests). */
  hang?: boolean;
  /** Every call, as argv. */
  log?: string[][];
}

export class FakeRauc {
  constructor(readonly stateFile: string) {}

  static async create(dir: string, overrides: Partial<FakeRaucState> = {}): Promise<FakeRauc> {
    const fake = new FakeRauc(join(dir, 'fake-rauc-state.json'));
    await fake.write({
      compatible: 'edge-gw-test',
      booted: 'rootfs.0',
      primary: 'rootfs.0',
      bootId: 1,
      slots: {
        'rootfs.0': { bootname: 'A', device: '/dev/fake0', boot_status: 'good', version: '1.0.0' },
        'rootfs.1': { bootname: 'B', device: '/dev/fake1', boot_status: 'good', version: null },
      },
      ...overrides,
    });
    return fake;
  }

  async read(): Promise<FakeRaucState> {
    return JSON.parse(await readFile(this.stateFile, 'utf8')) as FakeRaucState;
  }

  async write(state: FakeRaucState): Promise<void> {
    await writeFile(this.stateFile, JSON.stringify(state, null, 1));
  }

  async update(change: (state: FakeRaucState) => void): Promise<void> {
    const state = await this.read();
    change(state);
    await this.write(state);
  }

  /** The real command runner, with the fakes first on PATH. */
  runner(): ChildProcessCommandRunner {
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
    env.PATH = `${fakeRaucBin}:${env.PATH ?? '/usr/bin:/bin'}`;
    env.FAKE_RAUC_STATE = this.stateFile;
    return new ChildProcessCommandRunner({ env });
  }

  /** Boot id as the fake "bootloader" counts boots. */
  async bootId(): Promise<string> {
    return String((await this.read()).bootId);
  }
}
