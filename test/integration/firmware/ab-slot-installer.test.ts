import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AbSlotInstaller,
  digestFile,
  FirmwareError,
  FirmwareErrorCode,
  packAgentBundle,
  type FirmwareManifest,
} from '@fleet/firmware';
import { ensureFirmwareBuilt, firmwareDistUrl } from '../../support/firmware/firmware-build.js';

// Every step of install → boot → commit, with the installing process killed (SIGKILL) exactly there;
// afterwards the boot decision must pick a slot whose entry really runs, and the state must say
// what happened.

const STEP_SCRIPT = `
import { readFileSync } from 'node:fs';
const { AbSlotInstaller } = await import(process.env.FIRMWARE_LIB_URL);
const [stateDir, ops, bundle, manifestFile, killAt, killAtEntry] = process.argv.slice(2);
let entries = 0;
const installer = new AbSlotInstaller({
  stateDir,
  maxBootAttempts: 2,
  onStep: (step) => {
    if (step === 'install:unpacking') entries++;
    if (step === killAt && (step !== 'install:unpacking' || entries === Number(killAtEntry || '1')))
      process.kill(process.pid, 'SIGKILL');
  },
});
const manifest = JSON.parse(readFileSync(manifestFile, 'utf8'));
for (const op of ops.split(',')) {
  if (op === 'install') await installer.install(bundle, manifest, { deploymentId: 'dep-steps' });
  if (op === 'decide') await installer.decideBoot();
  if (op === 'commit') await installer.commit();
}
console.log('completed');
`;

let work: string;
let stepScript: string;
let v1: { path: string; manifest: FirmwareManifest };
let v2: { path: string; manifest: FirmwareManifest; manifestFile: string };

async function printingBundle(
  version: string,
  files = 20,
): Promise<{ path: string; manifest: FirmwareManifest }> {
  const src = join(work, `src-${version}`);
  await mkdir(join(src, 'assets'), { recursive: true });
  await writeFile(
    join(src, 'main.mjs'),
    `console.log(JSON.stringify({ version: '${version}', slot: process.env.FLEET_SLOT ?? null }));\n`,
  );
  for (let i = 0; i < files; i++)
    await writeFile(join(src, 'assets', `f${i}.txt`), `${version}:${i}\n`);
  const path = join(work, `agent-${version}.tar.gz`);
  await packAgentBundle(src, version, path, { entry: 'main.mjs' });
  const digest = await digestFile(path);
  return {
    path,
    manifest: {
      version,
      kind: 'agent-bundle',
      models: ['edge-gw-test'],
      sha256: digest.sha256,
      size: digest.size,
      releaseNotes: '',
      createdAt: '2026-03-01T00:00:00.000Z',
    },
  };
}

/** Runs the entry the boot decision picked and returns what it prints. */
function runEntry(entryPath: string, dir: string): { version: string } {
  const r = spawnSync(process.execPath, [entryPath], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 15_000,
  });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as { version: string };
}

async function seeded(): Promise<{ stateDir: string; installer: AbSlotInstaller }> {
  const stateDir = await mkdtemp(join(work, 'gw-'));
  const installer = new AbSlotInstaller({ stateDir, maxBootAttempts: 2 });
  await installer.seed(v1.path);
  return { stateDir, installer };
}

async function treeHash(dir: string): Promise<string> {
  const hash = createHash('sha256');
  for (const name of (await readdir(dir, { recursive: true })).sort()) {
    hash.update(name);
    hash.update(await readFile(join(dir, name)).catch(() => Buffer.alloc(0)));
  }
  return hash.digest('hex');
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

beforeAll(async () => {
  ensureFirmwareBuilt();
  work = await mkdtemp(join(tmpdir(), 'fw-ab-'));
  stepScript = join(work, 'installer-step.mjs');
  await writeFile(stepScript, STEP_SCRIPT);
  v1 = await printingBundle('1.0.0');
  const built = await printingBundle('1.1.0');
  const manifestFile = join(work, 'v2.manifest.json');
  await writeFile(manifestFile, JSON.stringify(built.manifest));
  v2 = { ...built, manifestFile };
}, 180_000);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

type Expect =
  | { boots: '1.0.0'; outcome: 'install_failed' }
  | { boots: '1.1.0'; trialAttempt: number }
  | { boots: '1.1.0'; committed: true };

const cases: { ops: string; killAt: string; killAtEntry?: number; expect: Expect }[] = [
  {
    ops: 'install',
    killAt: 'install:marked',
    expect: { boots: '1.0.0', outcome: 'install_failed' },
  },
  {
    ops: 'install',
    killAt: 'install:unpacking',
    killAtEntry: 8,
    expect: { boots: '1.0.0', outcome: 'install_failed' },
  },
  {
    ops: 'install',
    killAt: 'install:unpacked',
    expect: { boots: '1.0.0', outcome: 'install_failed' },
  },
  {
    ops: 'install',
    killAt: 'install:slot-replaced',
    expect: { boots: '1.0.0', outcome: 'install_failed' },
  },
  { ops: 'install', killAt: 'install:switched', expect: { boots: '1.1.0', trialAttempt: 1 } },
  { ops: 'install,decide', killAt: 'boot:decided', expect: { boots: '1.1.0', trialAttempt: 2 } },
  {
    ops: 'install,decide,commit',
    killAt: 'commit:before',
    expect: { boots: '1.1.0', trialAttempt: 2 },
  },
  {
    ops: 'install,decide,commit',
    killAt: 'commit:done',
    expect: { boots: '1.1.0', committed: true },
  },
];

describe('AbSlotInstaller: kill -9 at every step', () => {
  for (const c of cases) {
    it(`killed at ${c.killAt}${c.killAtEntry ? ` (entry ${c.killAtEntry})` : ''} → boots ${c.expect.boots}`, async () => {
      const { stateDir, installer } = await seeded();
      const committedSlot = await treeHash(installer.slotDir('a'));
      const r = spawnSync(
        process.execPath,
        [
          stepScript,
          stateDir,
          c.ops,
          v2.path,
          v2.manifestFile,
          c.killAt,
          String(c.killAtEntry ?? ''),
        ],
        {
          encoding: 'utf8',
          timeout: 30_000,
          env: { ...process.env, FIRMWARE_LIB_URL: firmwareDistUrl },
        },
      );
      expect(r.signal, r.stderr).toBe('SIGKILL');
      expect(r.stdout).not.toContain('completed');
      // Nothing the install did may touch the committed slot.
      expect(await treeHash(installer.slotDir('a'))).toBe(committedSlot);

      const boot = await installer.decideBoot();
      expect(runEntry(boot.entryPath, boot.dir).version).toBe(c.expect.boots);
      const status = await installer.status();
      expect(status.running?.version).toBe(c.expect.boots);
      if ('outcome' in c.expect) {
        expect(boot).toMatchObject({ slot: 'a', trial: false });
        expect(status).toMatchObject({
          committed: { slot: 'a', version: '1.0.0' },
          trial: null,
          slots: { a: '1.0.0', b: null },
          lastResult: { outcome: 'install_failed', version: '1.1.0', deploymentId: 'dep-steps' },
        });
        expect(boot.rolledBack).toMatch(/interrupted/);
        expect((await readdir(installer.slotsDir)).filter((n) => n.startsWith('.'))).toEqual([]);
      } else if ('trialAttempt' in c.expect) {
        expect(boot).toMatchObject({ slot: 'b', trial: true, attempt: c.expect.trialAttempt });
        expect(status.committed).toEqual({ slot: 'a', version: '1.0.0' });
        await installer.commit();
        expect((await installer.status()).committed).toEqual({ slot: 'b', version: '1.1.0' });
      } else {
        expect(boot).toMatchObject({ slot: 'b', trial: false });
        expect(status).toMatchObject({
          committed: { slot: 'b', version: '1.1.0' },
          lastResult: { outcome: 'committed', deploymentId: 'dep-steps' },
        });
      }
    });
  }

  it('runs to completion when nobody is killed', async () => {
    const { stateDir, installer } = await seeded();
    const r = spawnSync(
      process.execPath,
      [stepScript, stateDir, 'install,decide,commit', v2.path, v2.manifestFile, '', ''],
      {
        encoding: 'utf8',
        timeout: 30_000,
        env: { ...process.env, FIRMWARE_LIB_URL: firmwareDistUrl },
      },
    );
    expect(r.stdout, r.stderr).toContain('completed');
    const boot = await installer.decideBoot();
    expect(boot).toMatchObject({ slot: 'b', version: '1.1.0', trial: false });
    expect(runEntry(boot.entryPath, boot.dir).version).toBe('1.1.0');
  });
});

describe('AbSlotInstaller rules', () => {
  it('counts boots of a trial and falls back once the budget is used', async () => {
    const { installer } = await seeded();
    await installer.install(v2.path, v2.manifest, { deploymentId: 'dep-boots' });
    expect((await installer.decideBoot()).attempt).toBe(1);
    expect((await installer.decideBoot()).attempt).toBe(2);
    const third = await installer.decideBoot();
    expect(third).toMatchObject({ slot: 'a', version: '1.0.0', trial: false });
    expect(third.rolledBack).toMatch(/did not commit within 2 boot attempt/);
    expect((await installer.status()).lastResult).toMatchObject({
      outcome: 'rolled_back',
      deploymentId: 'dep-boots',
    });
  });

  it('refuses to commit a trial that has not been started (success is never "installed")', async () => {
    const { installer } = await seeded();
    await installer.install(v2.path, v2.manifest);
    expect(await codeOf(installer.commit())).toBe(FirmwareErrorCode.NOT_TRIAL_SLOT);
    await installer.decideBoot();
    expect(await codeOf(installer.commit({ slot: 'a' }))).toBe(FirmwareErrorCode.NOT_TRIAL_SLOT);
    await installer.commit({ slot: 'b' });
    // Committing again from the same slot is harmless.
    expect((await installer.commit({ slot: 'b' })).committed).toEqual({
      slot: 'b',
      version: '1.1.0',
    });
    expect(await codeOf(installer.commit())).toBe(FirmwareErrorCode.NO_TRIAL);
  });

  it('refuses a second install while a trial is pending, and rollback clears it', async () => {
    const { installer } = await seeded();
    await installer.install(v2.path, v2.manifest);
    expect(await codeOf(installer.install(v2.path, v2.manifest))).toBe(
      FirmwareErrorCode.INSTALL_IN_PROGRESS,
    );
    const status = await installer.rollback('operator cancelled the deployment');
    expect(status.lastResult).toMatchObject({
      outcome: 'rolled_back',
      reason: 'operator cancelled the deployment',
    });
    expect((await installer.decideBoot()).version).toBe('1.0.0');
    expect(await codeOf(installer.rollback('again'))).toBe(FirmwareErrorCode.NO_TRIAL);
  });

  it('refuses artifacts that do not match the manifest, the wrong kind, and a version mismatch', async () => {
    const { installer } = await seeded();
    expect(
      await codeOf(installer.install(v2.path, { ...v2.manifest, sha256: '0'.repeat(64) })),
    ).toBe(FirmwareErrorCode.HASH_MISMATCH);
    expect(await codeOf(installer.install(v2.path, { ...v2.manifest, kind: 'rauc-bundle' }))).toBe(
      FirmwareErrorCode.WRONG_KIND,
    );
    // A correctly hashed bundle whose bundle.json disagrees with the manifest's version.
    expect(await codeOf(installer.install(v2.path, { ...v2.manifest, version: '1.2.0' }))).toBe(
      FirmwareErrorCode.INVALID_BUNDLE,
    );
    const status = await installer.status();
    expect(status).toMatchObject({
      committed: { slot: 'a', version: '1.0.0' },
      trial: null,
      lastResult: { outcome: 'install_failed', version: '1.2.0' },
    });
    expect(status.lastResult?.reason).toMatch(
      /bundle\.json says version 1\.1\.0, the manifest says 1\.2\.0/,
    );
    expect((await installer.decideBoot()).version).toBe('1.0.0');
  });

  it('needs seeding once, and only once', async () => {
    const stateDir = await mkdtemp(join(work, 'gw-'));
    const installer = new AbSlotInstaller({ stateDir });
    expect(await codeOf(installer.decideBoot())).toBe(FirmwareErrorCode.NO_BOOTABLE_SLOT);
    expect(await codeOf(installer.install(v2.path, v2.manifest))).toBe(
      FirmwareErrorCode.NO_BOOTABLE_SLOT,
    );
    await installer.seed(v1.path);
    expect(await codeOf(installer.seed(v1.path))).toBe(FirmwareErrorCode.INVALID_ARGUMENT);
  });

  it('reports a corrupt state file instead of guessing', async () => {
    const { installer } = await seeded();
    await writeFile(installer.store.file, '{"format": 1, "committed": ');
    expect(await codeOf(installer.decideBoot())).toBe(FirmwareErrorCode.STATE_CORRUPT);
  });
});
