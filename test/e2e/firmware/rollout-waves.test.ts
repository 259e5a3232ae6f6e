import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestControlPlane, type TestControlPlane } from '../../support/control-plane.js';
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

interface Wave {
  index: number;
  spec: string;
  size: number;
  state: string;
  counts: Record<string, number>;
}
interface Rollout {
  id: string;
  state: string;
  stateReason: string | null;
  currentWave: number;
  waves: Wave[];
  counts: Record<string, number>;
  total: number;
}
interface Deployment {
  gatewayId: string;
  wave: number;
  state: string;
  runningVersion: string | null;
  errorCode: string | null;
  errorMessage: string | null;
}

let cp: TestControlPlane;
let t: TenantFixture;
const gateways: OtaTestGateway[] = [];
const key = generateReleaseKey();

beforeAll(async () => {
  cp = await startTestControlPlane({
    AUTH_RATE_LIMIT_PER_MINUTE: '100000',
    PRESENCE_DEBOUNCE_MS: '0',
    RECONCILE_INTERVAL_SECONDS: '2',
  });
  t = await seedTenant(cp.platform, 'waves', ['waves-a', 'waves-b']);
  await addKey(t.as['release-manager'], key);
});

afterAll(async () => {
  for (const g of gateways) await g.close();
  await cp?.close();
});

const rolloutOf = async (id: string) =>
  (await t.as.viewer.get<Rollout>(`/api/v1/rollouts/${id}`)).body;
const deploymentsOf = async (id: string) =>
  (await t.as.viewer.get<{ items: Deployment[] }>(`/api/v1/rollouts/${id}/deployments?limit=500`))
    .body.items;

describe('a rollout in three waves', () => {
  it('updates every gateway wave by wave, counting success only once the gateway runs the new version', async () => {
    gateways.push(
      ...(await fleet(t.as.technician, cp.anonymous, 'waves-a', 9, {
        prefix: 'W',
        firmwareVersion: '1.0.0',
      })),
    );
    const art = artifact(48 * 1024);
    const releaseId = await uploadRelease(
      t.as['release-manager'],
      cp.url,
      t.tokens['release-manager'],
      signedFor(key, art, '1.1.0'),
      art,
    );

    const preview = await t.as['release-manager'].post<{
      matched: number;
      eligible: number;
      waves: { spec: string; size: number }[];
    }>('/api/v1/rollouts/preview', {
      releaseId,
      selector: 'site=waves-a',
      waves: ['1', '50%', '100%'],
    });
    expect(preview.status, JSON.stringify(preview.body)).toBe(200);
    expect(preview.body.matched).toBe(9);
    expect(preview.body.waves.map((w) => w.size)).toEqual([1, 4, 4]);

    const created = await t.as['release-manager'].post<Rollout>('/api/v1/rollouts', {
      releaseId,
      selector: 'site=waves-a',
      waves: ['1', '50%', '100%'],
      successThresholdPercent: 100,
      failureThreshold: { count: 1, action: 'pause' },
      maxConcurrent: 3,
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.total).toBe(9);

    const done = await eventually(
      () => rolloutOf(created.body.id),
      (r) => r.state === 'completed',
      'the rollout to complete',
      60_000,
    );
    expect(done.counts).toEqual({ succeeded: 9 });
    expect(done.waves.map((w) => [w.size, w.state])).toEqual([
      [1, 'done'],
      [4, 'done'],
      [4, 'done'],
    ]);

    const deployments = await deploymentsOf(created.body.id);
    expect(deployments.every((d) => d.runningVersion === '1.1.0')).toBe(true);
    for (const g of gateways) {
      expect(g.firmwareVersion).toBe('1.1.0');
      expect([...g.installs.values()]).toEqual([1]);
    }
    // Wave gating: no gateway of a wave was told anything before every gateway of the wave before succeeded.
    const waveOf = new Map(deployments.map((d) => [d.gatewayId, d.wave]));
    const firstInstruction = (wave: number) =>
      Math.min(...gateways.filter((g) => waveOf.get(g.id) === wave).map((g) => g.received[0]!.at));
    const lastSuccess = (wave: number) =>
      Math.max(
        ...gateways
          .filter((g) => waveOf.get(g.id) === wave)
          .map((g) => g.reported.find((r) => r.phase === 'succeeded')!.at),
      );
    expect(firstInstruction(2)).toBeGreaterThan(lastSuccess(1));
    expect(firstInstruction(3)).toBeGreaterThan(lastSuccess(2));
  });
});
