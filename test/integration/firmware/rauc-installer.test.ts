import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  FirmwareError,
  FirmwareErrorCode,
  RaucInstaller,
  type FirmwareManifest,
  type RaucInstallerOptions,
} from '@fleet/firmware';
import { FakeRauc } from '../../support/firmware/fake-rauc.js';

// Contract test: RaucInstaller + ChildProcessCommandRunner against a fake `rauc` executable on PATH
// that implements the CLI contract the adapter relies on (status JSON, install, mark-good/bad/active)
// and a fake reboot standing in for the bootloader. It is not proof on hardware.

let dir: string;
let fake: FakeRauc;
let bundle: string;
let manifest: FirmwareManifest;

function installer(options: Partial<RaucInstallerOptions> = {}): RaucInstaller {
  return new RaucInstaller({
    runner: fake.runner(),
    stateDir: dir,
    rebootCommand: ['fake-reboot'],
    bootId: () => fake.bootId(),
    commandTimeoutMs: 10_000,
    ...options,
  });
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof FirmwareError) return error.code;
    throw error;
  }
  return 'OK';
}

async function raucBundle(
  version: string,
  compatible = 'edge-gw-test',
): Promise<{ path: string; manifest: FirmwareManifest }> {
  const data = Buffer.concat([
    Buffer.from(`[update]\ncompatible=${compatible}\nversion=${version}\n`),
    randomBytes(4096),
  ]);
  const path = join(dir, `os-${version}-${compatible}.raucb`);
  await writeFile(path, data);
  return {
    path,
    manifest: {
      version,
      kind: 'rauc-bundle',
      models: ['edge-gw-test'],
      sha256: createHash('sha256').update(data).digest('hex'),
      size: data.length,
      releaseNotes: '',
      createdAt: '2026-03-01T00:00:00.000Z',
    },
  };
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fw-rauc-'));
  fake = await FakeRauc.create(dir);
  ({ path: bundle, manifest } = await raucBundle('1.1.0'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('RaucInstaller against the fake rauc CLI', () => {
  it('install → reboot → reconcile → commit marks the new slot good', async () => {
    const rauc = installer();
    expect(await rauc.install(bundle, manifest, { deploymentId: 'dep-os' })).toEqual({
      slot: 'rootfs.1',
      version: '1.1.0',
      next: 'reboot',
    });
    const before = await rauc.status();
    expect(before).toMatchObject({
      kind: 'rauc',
      running: { slot: 'rootfs.0', version: '1.0.0', trial: false },
      committed: { slot: 'rootfs.0', version: '1.0.0' },
      trial: { slot: 'rootfs.1', version: '1.1.0', deploymentId: 'dep-os' },
    });
    // Not running the new image yet: committing now would count "installed" as success.
    expect(await codeOf(rauc.commit())).toBe(FirmwareErrorCode.NOT_TRIAL_SLOT);

    await rauc.reboot();
    const after = await installer().reconcile();
    expect(after).toMatchObject({
      running: { slot: 'rootfs.1', version: '1.1.0', trial: true },
      trial: { slot: 'rootfs.1', attempts: 1 },
    });
    const committed = await installer().commit();
    expect(committed).toMatchObject({
      running: { slot: 'rootfs.1', version: '1.1.0', trial: false },
      committed: { slot: 'rootfs.1', version: '1.1.0' },
      trial: null,
      lastResult: { outcome: 'committed', deploymentId: 'dep-os' },
    });
    const state = await fake.read();
    expect(state.slots['rootfs.1']).toMatchObject({
      boot_status: 'good',
      version: '1.1.0',
      sha256: manifest.sha256,
    });
    expect(
      state.log?.filter((argv) => argv[0] !== 'status' || argv[1] !== '--output-format=json'),
    ).toEqual([['install', bundle], ['reboot'], ['status', 'mark-good', 'booted']]);
  });

  it('records a bootloader fallback after reboot as rolled back', async () => {
    await fake.update((s) => {
      s.failBoot = ['rootfs.1'];
    });
    const rauc = installer();
    await rauc.install(bundle, manifest, { deploymentId: 'dep-fallback' });
    await rauc.reboot();
    const status = await installer().reconcile();
    expect(status).toMatchObject({
      running: { slot: 'rootfs.0', version: '1.0.0', trial: false },
      trial: null,
      lastResult: { outcome: 'rolled_back', version: '1.1.0', deploymentId: 'dep-fallback' },
    });
    expect(status.lastResult?.reason).toMatch(/booted rootfs\.0 instead of trial slot rootfs\.1/);
  });

  it('rolls back a booted trial whose health check failed: mark-bad, reboot, old slot', async () => {
    const rauc = installer();
    await rauc.install(bundle, manifest);
    await rauc.reboot();
    await installer().reconcile();
    const rolled = await installer().rollback('no connection to the control plane within 120 s');
    expect(rolled.lastResult).toMatchObject({
      outcome: 'rolled_back',
      reason: 'no connection to the control plane within 120 s',
    });
    expect((await fake.read()).slots['rootfs.1']?.boot_status).toBe('bad');
    await installer().reboot();
    expect((await installer().reconcile()).running).toEqual({
      slot: 'rootfs.0',
      version: '1.0.0',
      trial: false,
    });
  });

  it('cancels before the reboot by pointing the bootloader back at the running slot', async () => {
    const rauc = installer();
    await rauc.install(bundle, manifest);
    expect((await fake.read()).primary).toBe('rootfs.1');
    await rauc.rollback('deployment canceled');
    expect((await fake.read()).primary).toBe('rootfs.0');
    await rauc.reboot();
    expect((await installer().reconcile()).running?.slot).toBe('rootfs.0');
  });

  it('reports a failing rauc install with its message, and records no trial', async () => {
    const other = await raucBundle('1.1.0', 'some-other-board');
    const error = await installer()
      .install(other.path, other.manifest)
      .catch((e: unknown) => e as FirmwareError);
    expect(error).toBeInstanceOf(FirmwareError);
    expect((error as FirmwareError).code).toBe(FirmwareErrorCode.COMMAND_FAILED);
    expect((error as FirmwareError).message).toMatch(
      /rauc install .* exited with 1: Compatible mismatch/,
    );
    expect((await installer().status()).trial).toBeNull();
  });

  it('checks kind and digest before calling rauc at all', async () => {
    expect(await codeOf(installer().install(bundle, { ...manifest, kind: 'agent-bundle' }))).toBe(
      FirmwareErrorCode.WRONG_KIND,
    );
    expect(
      await codeOf(installer().install(bundle, { ...manifest, size: manifest.size + 1 })),
    ).toBe(FirmwareErrorCode.SIZE_MISMATCH);
    expect(((await fake.read()).log ?? []).some((argv) => argv[0] === 'install')).toBe(false);
  });

  it('kills a rauc call that exceeds its deadline', async () => {
    await fake.update((s) => {
      s.hang = true;
    });
    const error = await installer({ commandTimeoutMs: 500 })
      .status()
      .catch((e: unknown) => e as FirmwareError);
    expect((error as FirmwareError).code).toBe(FirmwareErrorCode.COMMAND_TIMEOUT);
  });

  it('refuses a second install while a trial is pending', async () => {
    await installer().install(bundle, manifest);
    expect(await codeOf(installer().install(bundle, manifest))).toBe(
      FirmwareErrorCode.INSTALL_IN_PROGRESS,
    );
  });
});
