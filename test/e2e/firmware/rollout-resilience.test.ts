import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  deleteRedisPrefix,
  startTestControlPlane,
  type TestControlPlane,
} from '../../support/control-plane.js';
import { freePort } from '../../support/mqtt/free-port.js';
import { seedTenant, type TenantFixture } from '../../support/tenant-fixture.js';
import {
  addKey,
  artifact,
  eventually,
  fleet,
  generateReleaseKey,
  signedFor,
  uploadRelease,
} from './support/firmware-fixture.js';
import type { OtaTestGateway } from './support/ota-test-gateway.js';

interface Rollout {
  id: string;
  state: string;
  stateReason: string | null;
  currentWave: number;
  counts: Record<string, number>;
}

let cp: TestControlPlane;
let t: TenantFixture;
const all: OtaTestGateway[] = [];
const key = generateReleaseKey();
let releaseId: string;
let serial = 0;

beforeAll(async () => {
  // A fixed MQTT port: gateways reconnect to the same address after a control-plane restart.
  cp = await startTestControlPlane({
    AUTH_RATE_LIMIT_PER_MINUTE: '100000',
    PRESENCE_DEBOUNCE_MS: '0',
    RECONCILE_INTERVAL_SECONDS: '2',
    MQTT_PORT: String(await freePort()),
  });
  t = await seedTenant(cp.platform, 'res', ['res-a']);
  await addKey(t.as['release-manager'], key);
  const art = artifact(30_000);
  releaseId = await uploadRelease(
    t.as['release-manager'],
    cp.url,
    t.tokens['release-manager'],
    signedFor(key, art, '2.0.0'),
    art,
  );
});

afterAll(async () => {
  for (const g of all) await g.close();
  await cp?.close();
});

async function group(
  count: number,
  stepMs = 20,
): Promise<{ tag: string; gateways: OtaTestGateway[] }> {
  serial += 1;
  const tag = `res-${serial}`;
  const gateways = await fleet(t.as.technician, cp.anonymous, 'res-a', count, {
    prefix: `R${serial}`,
    firmwareVersion: '1.0.0',
  });
  for (const g of gateways) {
    g.stepMs = stepMs;
    expect((await t.as.admin.patch(`/api/v1/gateways/${g.id}`, { tags: [tag] })).status).toBe(200);
  }
  all.push(...gateways);
  return { tag, gateways };
}

const rolloutOf = async (id: string) =>
  (await t.as.viewer.get<Rollout>(`/api/v1/rollouts/${id}`)).body;

async function create(body: Record<string, unknown>): Promise<Rollout> {
  const res = await t.as['release-manager'].post<Rollout>('/api/v1/rollouts', {
    releaseId,
    ...body,
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

/** Every gateway ran exactly one install, and was never told to install after it succeeded. */
function expectUpdatedOnce(gateways: readonly OtaTestGateway[]): void {
  for (const g of gateways) {
    expect(g.firmwareVersion, g.serialNumber).toBe('2.0.0');
    expect([...g.installs.values()], g.serialNumber).toEqual([1]);
    const succeededAt = g.reported.find((r) => r.phase === 'succeeded')!.at;
    const lateInstalls = g.received.filter(
      (r) => r.message.action === 'install' && r.at > succeededAt,
    );
    expect(lateInstalls, g.serialNumber).toEqual([]);
  }
}

describe('maintenance window', () => {
  it('lets gateways download ahead and starts installs only once the window opens', async () => {
    const { tag, gateways } = await group(3);
    const opensAt = new Date(Math.ceil((Date.now() + 8_000) / 1000) * 1000);
    const cron = `${opensAt.getUTCSeconds()} ${opensAt.getUTCMinutes()} ${opensAt.getUTCHours()} * * *`;
    const rollout = await create({
      selector: `tag=${tag}`,
      waves: ['100%'],
      maintenanceWindow: { cron, durationMinutes: 1, timeZone: 'UTC' },
    });
    for (const g of gateways)
      await g.waitFor(() => g.phases().includes('downloaded'), 'a download ahead');
    // Reports reach the control plane through the broker a moment after the gateway sent them.
    const waiting = await eventually(
      () => rolloutOf(rollout.id),
      (r) => r.counts.downloaded === 3,
      'the downloads to be recorded',
    );
    expect(waiting.state).toBe('running');
    expect(waiting.stateReason).toMatch(/outside the maintenance window/);
    expect(waiting.counts).toEqual({ downloaded: 3 });

    await eventually(
      () => rolloutOf(rollout.id),
      (r) => r.state === 'completed',
      'the rollout',
      40_000,
    );
    for (const g of gateways) {
      const actions = g.received.map((r) => r.message.action);
      expect(actions).toEqual(['download', 'install']);
      const install = g.received.find((r) => r.message.action === 'install')!;
      expect(install.at).toBeGreaterThanOrEqual(opensAt.getTime());
      const downloaded = g.reported.find((r) => r.phase === 'downloaded')!;
      expect(downloaded.at).toBeLessThan(opensAt.getTime());
    }
    expectUpdatedOnce(gateways);
  });
});

describe('losing the control plane or Redis mid-rollout', () => {
  it('carries on after a control-plane restart, updating no gateway twice', async () => {
    const { tag, gateways } = await group(8, 150);
    const rollout = await create({
      selector: `tag=${tag}`,
      waves: ['2', '50%', '100%'],
      maxConcurrent: 2,
    });
    await eventually(
      () => rolloutOf(rollout.id),
      (r) => r.currentWave === 2 && (r.counts.succeeded ?? 0) >= 2,
      'the second wave',
      40_000,
    );
    await cp.restart();
    const done = await eventually(
      () => rolloutOf(rollout.id),
      (r) => r.state === 'completed',
      'the rollout after the restart',
      90_000,
    );
    expect(done.counts).toEqual({ succeeded: 8 });
    expectUpdatedOnce(gateways);
  });

  it('recovers when Redis loses every job (rebuilt from Postgres)', async () => {
    const { tag, gateways } = await group(6, 100);
    const rollout = await create({
      selector: `tag=${tag}`,
      waves: ['1', '50%', '100%'],
      maxConcurrent: 2,
    });
    await eventually(
      () => rolloutOf(rollout.id),
      (r) => r.currentWave >= 2,
      'the second wave',
      40_000,
    );
    // What FLUSHALL does to this control plane, without wiping other test runs sharing the Redis.
    await deleteRedisPrefix(cp.redisPrefix);
    const done = await eventually(
      () => rolloutOf(rollout.id),
      (r) => r.state === 'completed',
      'the rollout after Redis lost its jobs',
      90_000,
    );
    expect(done.counts).toEqual({ succeeded: 6 });
    expectUpdatedOnce(gateways);
  });
});
