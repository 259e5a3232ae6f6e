import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBin, type CliResult } from '../../support/cli.js';
import { startTestControlPlane, type TestControlPlane } from '../../support/control-plane.js';
import { seedTenant, type TenantFixture } from '../../support/tenant-fixture.js';
import { artifact, eventually, fleet, tempDir } from './support/firmware-fixture.js';
import type { OtaTestGateway } from './support/ota-test-gateway.js';

interface Rollout {
  id: string;
  state: string;
  counts: Record<string, number>;
  total: number;
  waves: { index: number; size: number; state: string }[];
  maintenanceWindow: { cron: string; durationMinutes: number; timeZone: string } | null;
  failureThreshold: { count?: number; percent?: number; minSample?: number; action?: string };
  successThresholdPercent: number;
  maxConcurrent: number;
}

let cp: TestControlPlane;
let t: TenantFixture;
let dir: Awaited<ReturnType<typeof tempDir>>;
const gateways: OtaTestGateway[] = [];

beforeAll(async () => {
  cp = await startTestControlPlane({
    AUTH_RATE_LIMIT_PER_MINUTE: '100000',
    PRESENCE_DEBOUNCE_MS: '0',
    RECONCILE_INTERVAL_SECONDS: '2',
  });
  t = await seedTenant(cp.platform, 'cli-ota', ['cli-ota-a']);
  dir = await tempDir();
});

afterAll(async () => {
  for (const g of gateways) await g.close();
  await cp?.close();
  await dir?.remove();
});

/** fleetctl as the tenant's release manager, against the test control plane. */
const fleetctl = (args: string[], timeoutMs = 60_000): Promise<CliResult> =>
  runBin(
    'fleetctl',
    args,
    {
      FLEET_URL: cp.url,
      FLEET_TOKEN: t.tokens['release-manager'],
      FLEETCTL_CONFIG: join(dir.path, 'no-credentials.json'),
    },
    timeoutMs,
  );
const ok = (r: CliResult): CliResult => {
  expect(r.code, `stdout:\n${r.stdout}\nstderr:\n${r.stderr}`).toBe(0);
  return r;
};
const rolloutOf = async (id: string) =>
  (await t.as.viewer.get<Rollout>(`/api/v1/rollouts/${id}`)).body;

/** Keygen, sign and upload a release of `version` with fleetctl; returns its id. */
async function release(keyFile: string, version: string): Promise<string> {
  const art = artifact(32 * 1024);
  const artifactFile = join(dir.path, `agent-${version}.tar.gz`);
  await writeFile(artifactFile, art.bytes);
  ok(
    await fleetctl([
      'firmware',
      'sign',
      '--key',
      keyFile,
      '--artifact',
      artifactFile,
      '--version',
      version,
      '--models',
      'rpi4',
    ]),
  );
  const uploaded = ok(
    await fleetctl(['firmware', 'upload', `${artifactFile}.manifest.json`, artifactFile, '--json']),
  );
  const body = JSON.parse(uploaded.stdout) as { id: string; version: string; sha256: string };
  expect(body.version).toBe(version);
  expect(body.sha256).toBe(art.sha256);
  return body.id;
}

let keyFile = '';
let keyId = '';
let releaseId = '';

describe('fleetctl firmware keys, upload and releases', () => {
  it('creates a key offline, trusts it on the control plane, uploads a signed release and lists it', async () => {
    const keygen = ok(await fleetctl(['firmware', 'keygen', '--out', join(dir.path, 'keys')]));
    keyId = /key id: (\S+)/.exec(keygen.stdout)![1]!;
    keyFile = join(dir.path, 'keys', `${keyId}.key`);

    // An upload before the key is trusted is refused, and says why.
    const art = artifact(1024);
    const early = join(dir.path, 'early.bin');
    await writeFile(early, art.bytes);
    ok(
      await fleetctl([
        'firmware',
        'sign',
        '--key',
        keyFile,
        '--artifact',
        early,
        '--version',
        '0.9.0',
        '--models',
        'rpi4',
      ]),
    );
    const refused = await fleetctl(['firmware', 'upload', `${early}.manifest.json`, early]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/key|signature/i);

    const added = ok(
      await fleetctl([
        'firmware',
        'keys',
        'add',
        '--name',
        'cli key',
        '--public-key',
        join(dir.path, 'keys', `${keyId}.pub`),
      ]),
    );
    expect(added.stdout).toContain(`key ${keyId} added`);
    const keys = ok(await fleetctl(['firmware', 'keys', 'list']));
    expect(keys.stdout).toMatch(new RegExp(`${keyId}\\s+cli key`));

    releaseId = await release(keyFile, '1.1.0');
    const listed = ok(await fleetctl(['firmware', 'releases', 'list']));
    expect(listed.stdout).toContain(releaseId);
    expect(listed.stdout).toContain('1.1.0');
  });
});

describe('fleetctl rollout', () => {
  it('previews, creates and follows a rollout wave by wave to completion (exit 0)', async () => {
    gateways.push(
      ...(await fleet(t.as.technician, cp.anonymous, 'cli-ota-a', 4, {
        prefix: 'C',
        firmwareVersion: '1.0.0',
      })),
    );
    const preview = ok(
      await fleetctl([
        'rollout',
        'create',
        '--release',
        releaseId,
        '--selector',
        'site=cli-ota-a',
        '--waves',
        '1,50%,100%',
        '--preview',
      ]),
    );
    expect(preview.stdout).toContain('4 gateways match, 4 eligible');
    expect(preview.stdout).toMatch(/wave 1\/3 \(1\)\s+1 gateways/);
    expect(preview.stdout).toMatch(/wave 3\/3 \(100%\)\s+2 gateways/);
    expect(preview.stdout).toContain('excluded: none');
    // A preview creates nothing.
    expect(ok(await fleetctl(['rollout', 'list'])).stdout).toBe('(none)\n');

    const created = ok(
      await fleetctl([
        'rollout',
        'create',
        '--release',
        releaseId,
        '--selector',
        'site=cli-ota-a',
        '--waves',
        '1,50%,100%',
        '--name',
        'cli rollout',
        '--success-threshold',
        '100%',
        '--failure-threshold',
        '1',
        '--on-failure',
        'pause',
        '--max-concurrent',
        '2',
        '--start-rate',
        '600',
        '--json',
      ]),
    );
    const rollout = JSON.parse(created.stdout) as Rollout & { name: string };
    expect(rollout.name).toBe('cli rollout');
    expect(rollout.total).toBe(4);
    expect(rollout.successThresholdPercent).toBe(100);
    expect(rollout.maxConcurrent).toBe(2);
    expect(rollout.failureThreshold).toMatchObject({ count: 1, action: 'pause' });

    const status = ok(
      await fleetctl(
        ['rollout', 'status', rollout.id, '--wait', '--interval', '300', '--timeout', '150'],
        170_000,
      ),
    );
    // Not a terminal: a line per change, then the outcome.
    expect(status.stdout).toMatch(/wave 1\/3 \(1\)\s+done\s+\[█+\] 1\/1\s+succeeded 1/);
    expect(status.stdout).toMatch(/wave 2\/3 \(50%\)\s+done\s+\[█+\] 1\/1\s+succeeded 1/);
    expect(status.stdout).toMatch(/wave 3\/3 \(100%\)\s+done\s+\[█+\] 2\/2\s+succeeded 2/);
    expect(status.stdout).toContain(`rollout ${rollout.id} completed: succeeded 4`);
    expect((await rolloutOf(rollout.id)).counts).toEqual({ succeeded: 4 });
    for (const g of gateways) expect(g.firmwareVersion).toBe('1.1.0');

    const once = ok(await fleetctl(['rollout', 'status', rollout.id]));
    expect(once.stdout.split('\n')[0]).toContain(`rollout ${rollout.id} completed`);
    expect(once.stdout.split('\n').filter((l) => l.startsWith('wave '))).toHaveLength(3);
  });

  it('pauses, resumes and cancels a rollout waiting for its maintenance window', async () => {
    const next = await release(keyFile, '1.2.0');
    // A window that opens once a year, for a minute: installs never start during the test.
    const created = ok(
      await fleetctl([
        'rollout',
        'create',
        '--release',
        next,
        '--selector',
        'site=cli-ota-a',
        '--waves',
        '100%',
        '--window-cron',
        '0 3 1 1 *',
        '--window-duration',
        '1m',
        '--window-tz',
        'UTC',
        '--json',
      ]),
    );
    const rollout = JSON.parse(created.stdout) as Rollout;
    expect(rollout.maintenanceWindow).toEqual({
      cron: '0 3 1 1 *',
      durationMinutes: 1,
      timeZone: 'UTC',
    });
    await eventually(
      () => rolloutOf(rollout.id),
      (r) => r.state === 'running',
      'the rollout to run',
    );

    // Waiting gives up after --timeout with exit 5, the rollout still running.
    const gaveUp = await fleetctl([
      'rollout',
      'status',
      rollout.id,
      '--wait',
      '--timeout',
      '1',
      '--interval',
      '200',
    ]);
    expect(gaveUp.code, gaveUp.stderr).toBe(5);
    expect(gaveUp.stdout).toContain(`rollout ${rollout.id} is still running`);

    const paused = ok(
      await fleetctl(['rollout', 'pause', rollout.id, '--reason', 'checking a report']),
    );
    expect(paused.stdout).toContain(`rollout ${rollout.id} is now paused`);
    expect((await rolloutOf(rollout.id)).state).toBe('paused');

    // Waiting on a paused rollout says so and exits 5 (it is not finished).
    const waitPaused = await fleetctl(['rollout', 'status', rollout.id, '--wait']);
    expect(waitPaused.code, waitPaused.stderr).toBe(5);
    expect(waitPaused.stdout).toContain(`rollout ${rollout.id} is paused: checking a report`);

    const resumed = ok(await fleetctl(['rollout', 'resume', rollout.id]));
    expect(resumed.stdout).toContain(`rollout ${rollout.id} is now running`);

    const listed = ok(await fleetctl(['rollout', 'list', '--state', 'running']));
    expect(listed.stdout).toContain(rollout.id);

    const canceled = ok(await fleetctl(['rollout', 'cancel', rollout.id, '--reason', 'not now']));
    expect(canceled.stdout).toContain(`rollout ${rollout.id} is now canceled`);
    expect((await rolloutOf(rollout.id)).state).toBe('canceled');
    for (const g of gateways) expect(g.firmwareVersion).toBe('1.1.0');

    // Waiting on a canceled rollout ends at once, unsuccessful.
    const waitCanceled = await fleetctl(['rollout', 'status', rollout.id, '--wait']);
    expect(waitCanceled.code).toBe(3);
    expect(waitCanceled.stdout).toContain(`rollout ${rollout.id} canceled`);

    const recalled = ok(
      await fleetctl(['firmware', 'releases', 'recall', next, '--reason', 'superseded']),
    );
    expect(recalled.stdout).toContain(`release ${next} (1.2.0) recalled`);
  });

  it('exits 3 when a deployment fails and the failure threshold aborts the rollout', async () => {
    const next = await release(keyFile, '1.3.0');
    gateways[0]!.behaviour = 'fail';
    const followed = await fleetctl(
      [
        'rollout',
        'create',
        '--release',
        next,
        '--selector',
        'site=cli-ota-a',
        '--waves',
        '100%',
        '--failure-threshold',
        '1',
        '--on-failure',
        'abort',
        '--wait',
        '--interval',
        '300',
        '--timeout',
        '150',
      ],
      170_000,
    );
    expect(followed.code, `${followed.stdout}\n${followed.stderr}`).toBe(3);
    const id = /^rollout (\S+) created$/m.exec(followed.stdout)![1]!;
    expect((await rolloutOf(id)).state).toBe('aborted');
    expect(followed.stdout).toMatch(/wave 1\/1 \(100%\)\s+\S+\s+\[[█░]+\] \d\/4 .*failed 1/);
    expect(followed.stdout).toMatch(/\d deployments did not succeed: .*failed 1/);
    expect(followed.stdout).toContain(`rollout ${id} aborted`);
  });

  it('names the flags the API refuses and exits non-zero', async () => {
    const badWaves = await fleetctl([
      'rollout',
      'create',
      '--release',
      releaseId,
      '--selector',
      'site=cli-ota-a',
      '--waves',
      '10%,50%',
      '--preview',
    ]);
    expect(badWaves.code).toBe(1);
    expect(badWaves.stderr).toMatch(/--waves \(waves\[1\]\): the last wave must be "100%"/);

    const badThreshold = await fleetctl([
      'rollout',
      'create',
      '--release',
      releaseId,
      '--selector',
      'site=cli-ota-a',
      '--waves',
      '100%',
      '--success-threshold',
      '150',
      '--failure-threshold',
      '3,10%',
      '--min-sample',
      '0',
    ]);
    expect(badThreshold.code).toBe(1);
    expect(badThreshold.stderr).toMatch(
      /--success-threshold \(successThresholdPercent\): must not be greater than 100/,
    );
    expect(badThreshold.stderr).toMatch(/--min-sample \(failureThreshold\.minSample\): /);

    const notUuid = await fleetctl([
      'rollout',
      'create',
      '--release',
      'nope',
      '--selector',
      'site=cli-ota-a',
      '--waves',
      '100%',
    ]);
    expect(notUuid.code).toBe(1);
    expect(notUuid.stderr).toMatch(/--release \(releaseId\): must be a UUID/);

    // Flags fleetctl itself can judge never reach the API: usage errors exit 2.
    const flag = await fleetctl([
      'rollout',
      'create',
      '--release',
      releaseId,
      '--selector',
      'site=cli-ota-a',
      '--waves',
      '100%',
      '--max-concurrent',
      'many',
    ]);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain('--max-concurrent must be an integer, got "many"');
    const window = await fleetctl([
      'rollout',
      'create',
      '--release',
      releaseId,
      '--selector',
      'site=cli-ota-a',
      '--waves',
      '100%',
      '--window-cron',
      '0 8 * * *',
    ]);
    expect(window.code).toBe(2);
    expect(window.stderr).toContain('--window-cron, --window-duration and --window-tz');
    expect(ok(await fleetctl(['rollout', 'list', '--state', 'running'])).stdout).toBe('(none)\n');
  });
});

describe('fleetctl firmware keys revoke', () => {
  it('revokes the release key: listed as revoked, its releases marked, no new rollout of them', async () => {
    const revoked = ok(await fleetctl(['firmware', 'keys', 'revoke', keyId]));
    expect(revoked.stdout).toMatch(new RegExp(`key ${keyId} revoked at \\d{4}-`));
    const keys = JSON.parse(ok(await fleetctl(['firmware', 'keys', 'list', '--json'])).stdout) as {
      keyId: string;
      revokedAt: string | null;
    }[];
    expect(keys.find((k) => k.keyId === keyId)?.revokedAt).toEqual(expect.any(String));
    expect(ok(await fleetctl(['firmware', 'releases', 'list'])).stdout).toContain(
      `${keyId} (revoked)`,
    );
    const refused = await fleetctl([
      'rollout',
      'create',
      '--release',
      releaseId,
      '--selector',
      'site=cli-ota-a',
      '--waves',
      '100%',
      '--preview',
    ]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/revoked/i);
  });
});
