// scripts/build-agent-bundle.ts through its compiled entry: what a release bundle holds, that an
// unpacked slot outside the checkout runs the agent with its packages resolved through the
// slots/node_modules link alone, and the dependency check a trial runs before it commits.
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { list as tarList, type ReadEntry } from 'tar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '@fleet/common';
import { AbSlotInstaller, readBundleInfo, unpackAgentBundle } from '@fleet/firmware';
import { checkSlotDependencies } from '../../../apps/gateway-agent/src/supervise/slot-dependencies.js';
import {
  linkSharedNodeModules,
  seedSlotsFromInstallation,
} from '../../../apps/gateway-agent/src/supervise/slot-preparation.js';
import { ensureAgentBuilt } from '../../support/agent/agent-build.js';

const root = packageRoot();
const SCRIPT = join(root, 'dist/scripts/build-agent-bundle.js');

let work: string;

beforeAll(async () => {
  ensureAgentBuilt();
  work = await mkdtemp(join(tmpdir(), 'agent-bundle-'));
}, 180_000);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

function script(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const run = spawnSync(process.execPath, [SCRIPT, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

async function entries(archive: string): Promise<string[]> {
  const paths: string[] = [];
  await tarList({ file: archive, onReadEntry: (e: ReadEntry) => paths.push(e.path) });
  return paths;
}

describe('scripts/build-agent-bundle.ts', () => {
  it('packs the compiled agent, the libraries it imports, the profiles and a package.json pinning its packages', async () => {
    const out = join(work, 'gateway-agent-1.2.3.tar.gz');
    const run = script(['--version', '1.2.3', '--out', out, '--json']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const built = JSON.parse(run.stdout) as {
      version: string;
      entry: string;
      sha256: string;
      size: number;
      dependencies: Record<string, string>;
    };
    const rootManifest = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    expect(built).toMatchObject({ version: '1.2.3', entry: 'bin/gateway-agent.js' });
    expect(built.sha256).toMatch(/^[0-9a-f]{64}$/);
    // The packages the agent imports, at the versions this installation pins; no server packages.
    for (const name of ['mqtt', 'modbus-serial', 'serialport', 'onoff', 'pino', 'commander', 'tar'])
      expect(built.dependencies[name], name).toBe(rootManifest.dependencies[name]);
    for (const name of ['@nestjs/core', 'fastify', 'bullmq', 'drizzle-orm', 'pg', 'aedes'])
      expect(built.dependencies[name], name).toBeUndefined();

    const paths = await entries(out);
    expect(paths[0]).toBe('bundle.json');
    expect(paths).toEqual(
      expect.arrayContaining([
        'package.json',
        'bin/gateway-agent.js',
        'dist/apps/gateway-agent/src/main.js',
        'dist/apps/gateway-agent/src/ota/ota.service.js',
        'dist/libs/firmware/src/index.js',
        'dist/libs/fieldbus/src/index.js',
        'device-profiles/eastron-sdm630.yaml',
      ]),
    );
    expect(paths.some((p) => p.includes('schema'))).toBe(true);
    expect(paths.filter((p) => p.startsWith('dist/apps/control-plane'))).toEqual([]);
    expect(paths.filter((p) => p.endsWith('.map') || p.endsWith('.ts'))).toEqual([]);
    expect(paths.filter((p) => p.startsWith('node_modules'))).toEqual([]);
  });

  it('refuses missing or bad arguments with a clear message', () => {
    const missing = script(['--out', join(work, 'x.tar.gz')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--version required/);
    const bad = script(['--version', 'v1', '--out', join(work, 'x.tar.gz')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--version: "v1" is not a semantic version/);
    const notInstallation = script([
      '--version',
      '1.0.0',
      '--out',
      join(work, 'x.tar.gz'),
      '--from',
      work,
    ]);
    expect(notInstallation.code).toBe(2);
    expect(notInstallation.stderr).toMatch(/package\.json/);
  });
});

describe('a slot outside the checkout', () => {
  it('runs the agent with its packages found through slots/node_modules only', async () => {
    const stateDir = join(work, 'gateway');
    const installer = new AbSlotInstaller({ stateDir });
    const { seeded, status } = await seedSlotsFromInstallation(installer, root, '0.1.0');
    expect(seeded).toBe(true);
    expect(status.committed).toEqual({ slot: 'a', version: '0.1.0' });
    const slot = installer.slotDir('a');
    expect(await readBundleInfo(slot)).toEqual({ version: '0.1.0', entry: 'bin/gateway-agent.js' });

    // Without the link the slot cannot even load its entry: nothing resolves from the checkout.
    const unlinked = spawnSync(process.execPath, [join(slot, 'bin/gateway-agent.js'), '--help'], {
      encoding: 'utf8',
      cwd: slot,
    });
    expect(unlinked.status).not.toBe(0);
    expect(unlinked.stderr).toMatch(/Cannot find package '[^']+'/);

    const link = await linkSharedNodeModules(installer.slotsDir, root);
    expect(link).toEqual({
      link: join(installer.slotsDir, 'node_modules'),
      target: join(root, 'node_modules'),
    });
    const help = spawnSync(process.execPath, [join(slot, 'bin/gateway-agent.js'), '--help'], {
      encoding: 'utf8',
      cwd: slot,
    });
    expect(help.stderr).toBe('');
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/supervise/);
    // A command that loads the whole agent (config, status file) runs from the slot too.
    const statusRun = spawnSync(
      process.execPath,
      [join(slot, 'bin/gateway-agent.js'), 'status', '--json', '--state-dir', stateDir],
      { encoding: 'utf8', cwd: slot },
    );
    expect(statusRun.status).toBe(3);
    expect(JSON.parse(statusRun.stdout)).toMatchObject({ running: false, reason: 'no_status' });

    // Seeding again does nothing; linking again is a no-op.
    expect((await seedSlotsFromInstallation(installer, root, '0.1.0')).seeded).toBe(false);
    expect(await linkSharedNodeModules(installer.slotsDir, root)).toEqual(link);
  });

  it('checks that the packages a release was built against are the ones the gateway has', async () => {
    const out = join(work, 'gateway-agent-2.0.0.tar.gz');
    expect(script(['--version', '2.0.0', '--out', out]).code).toBe(0);
    const slots = join(work, 'check', 'slots');
    await mkdir(slots, { recursive: true });
    const slot = join(slots, 'b');
    await unpackAgentBundle(out, slot);
    await linkSharedNodeModules(slots, root);
    expect(await checkSlotDependencies(slot)).toEqual([]);

    const manifestPath = join(slot, 'package.json');
    const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as {
      dependencies: Record<string, string>;
    };
    manifest.dependencies.mqtt = '6.0.0';
    manifest.dependencies['left-pad-for-tests'] = '1.3.0';
    await writeFile(manifestPath, JSON.stringify(manifest));
    const installedMqtt = (
      JSON.parse(await readFile(join(root, 'node_modules/mqtt/package.json'), 'utf8')) as {
        version: string;
      }
    ).version;
    expect(await checkSlotDependencies(slot)).toEqual([
      `mqtt 6.0.0 is needed, ${installedMqtt} is installed`,
      'left-pad-for-tests 1.3.0 is not installed',
    ]);
  });
});
