import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestControlPlane, type TestControlPlane } from '../support/control-plane.js';
import type { TestGateway } from '../support/gateway-client.js';
import { seedTenant, type TenantFixture } from '../support/tenant-fixture.js';
import { CommandGateway } from '../e2e/commands/support/command-gateway.js';
import {
  addStreetlights,
  allResults,
  commandOf,
  enrollGateways,
  eventually,
  inParallel,
} from '../e2e/commands/support/command-fleet.js';
import { RedisServer } from '../e2e/commands/support/redis-server.js';
import { recordScenario } from '../support/reliability-report.js';

/**
 * Redis is disposable: wiping it (FLUSHALL) while commands are in flight loses queued dispatch
 * jobs, resend checks and expiry timers. The reconciler rebuilds them from Postgres and every
 * execution still finishes exactly once. Redis here is a private redis-server; the second scenario
 * kills it (-9) under load and starts an empty one on the same port.
 */
let redis: RedisServer;
let cp: TestControlPlane;
let tenant: TenantFixture;
let enrolled: TestGateway[];
let lights: string[][];
const gateways: CommandGateway[] = [];

beforeAll(async () => {
  redis = await RedisServer.start();
  cp = await startTestControlPlane({
    REDIS_URL: redis.url,
    AUTH_RATE_LIMIT_PER_MINUTE: '100000',
    PRESENCE_DEBOUNCE_MS: '0',
    RECONCILE_INTERVAL_SECONDS: '2',
    // One job at a time, so dispatch jobs are still waiting when Redis is wiped.
    WORKER_CONCURRENCY: '1',
  });
  tenant = await seedTenant(cp.platform, 'cantho', ['ct-ninhkieu']);
  enrolled = await enrollGateways(tenant, cp.anonymous, 'ct-ninhkieu', 'CT-GW', 12);
  lights = await addStreetlights(tenant, enrolled, 10);
}, 180_000);

afterAll(async () => {
  await Promise.all(gateways.map((g) => g.close()));
  await cp?.close();
  await redis?.stop();
});

describe('Redis lost mid-flight', () => {
  it('rebuilds dispatches, resends and expiries from Postgres; each execution finishes once', async () => {
    // Gateways 0-9 answer (the last two lose the first delivery of everything); 10 connects after
    // the wipe; 11 never does.
    const lostOnce = new Set<string>();
    await inParallel(enrolled.slice(0, 10), 5, async (g, i) => {
      const gateway = new CommandGateway(g, (e) => {
        if (i >= 8 && !lostOnce.has(e.executionId)) {
          lostOnce.add(e.executionId);
          return 'silent';
        }
        return { outcome: 'succeeded', delayMs: 50 };
      });
      gateways.push(gateway);
      await gateway.start();
    });
    await eventually(
      () => tenant.as.viewer.get<{ items: unknown[] }>('/api/v1/gateways?selector=status=online'),
      (res) => res.body.items.length === 10,
      'ten gateways online',
    );

    const send = async (level: number, ttlSeconds: number, deviceIds?: string[]) => {
      const res = await tenant.as.operator.post<{ id: string }>('/api/v1/commands', {
        target: deviceIds ? { deviceIds } : { selector: 'site=ct-ninhkieu' },
        command: 'setDim',
        params: { level },
        ttlSeconds,
      });
      expect(res.status).toBe(201);
      return res.body.id;
    };
    // Written at once, so their dispatch jobs pile up behind the single worker slot.
    const groups = await Promise.all([10, 20, 30, 40, 50].map((level) => send(level, 25)));
    // Offline for good: only its expiry timer can finish it, and that timer is about to be wiped.
    const doomed = await send(60, 8, lights[11]);

    expect(await redis.flushAll()).toBe('OK');
    const wipedAt = Date.now();
    const atWipe = await cp.db.query<{ state: string; n: number }>(
      'select state, count(*)::int as n from command_executions group by state',
    );
    // Work for online gateways was still waiting in Redis, beyond the 110 executions of the two
    // gateways that are offline (one connects after the wipe, one never does).
    expect(atWipe.find((r) => r.state === 'queued')?.n ?? 0).toBeGreaterThan(110);
    const late = new CommandGateway(enrolled[10]!);
    gateways.push(late);
    await late.start();

    for (const id of groups) {
      const final = await eventually(
        () => commandOf(tenant.as.viewer, id),
        (c) => c.done,
        `command ${id} finished after the wipe (states at the wipe: ${JSON.stringify(atWipe)})`,
        60_000,
      );
      expect(final.counts).toMatchObject({ succeeded: 110, expired: 10, failed: 0 });
    }
    const expired = await eventually(
      () => commandOf(tenant.as.viewer, doomed),
      (c) => c.done,
      'the short-lived command expired although its timer was wiped',
      30_000,
    );
    expect(expired.counts.expired).toBe(10);
    const recoveredInMs = Date.now() - wipedAt;

    // Exactly once: every execution that succeeded ran once, on its own gateway.
    let runs = 0;
    for (const id of groups) {
      for (const execution of await allResults(tenant.as.viewer, id, 'succeeded')) {
        const owner = gateways.find((g) => g.id === execution.gatewayId)!;
        expect(owner.runs.get(execution.id), execution.id).toBe(1);
        runs += 1;
      }
    }
    expect(runs).toBe(550);
    expect(gateways.flatMap((g) => [...g.runs.values()]).every((n) => n === 1)).toBe(true);
    // Their first delivery was lost, and the resend checks went with Redis: the reconciler resent.
    const resentAfterLoss = (await allResults(tenant.as.viewer, groups[0]!)).filter(
      (e) => e.gatewayId === enrolled[8]!.id,
    );
    expect(resentAfterLoss.every((e) => e.attempts >= 2 && e.state === 'succeeded')).toBe(true);
    const figures = await executionFigures([...groups, doomed]);
    expect(figures).toMatchObject({ operations: 610, unfinished: 0, duplicated: 0 });
    recordScenario({
      scenario: 'Redis wiped (FLUSHALL) with 5 group commands in flight',
      operations: figures.operations,
      lost: figures.unfinished,
      duplicated: figures.duplicated,
      recoveredInMs,
      notes: `states at the wipe: ${atWipe.map((r) => `${r.state} ${r.n}`).join(', ')}; ${figures.redelivered} redeliveries deduplicated at the gateways; the never-online gateway's executions expired on time`,
    });
  });

  it('Redis killed and restarted empty under load: the work completes, each execution once', async () => {
    const online = lights.slice(0, 11).flat();
    const commands: string[] = [];
    let crash: Promise<void> | undefined;
    for (const level of [15, 25, 35, 45, 55, 65]) {
      const res = await tenant.as.operator.post<{ id: string }>('/api/v1/commands', {
        target: { deviceIds: online },
        command: 'setDim',
        params: { level },
        ttlSeconds: 120,
      });
      expect(res.status).toBe(201);
      commands.push(res.body.id);
      // The crash lands while the later commands are being written and the earlier dispatched.
      if (commands.length === 3) crash = redis.crashAndRestart(1_000);
    }
    await crash;
    const restartedAt = Date.now();
    for (const id of commands) {
      const final = await eventually(
        () => commandOf(tenant.as.viewer, id),
        (c) => c.done,
        `command ${id} finished after Redis came back empty`,
        90_000,
      );
      expect(final.counts).toMatchObject({ succeeded: 110 });
    }
    const recoveredInMs = Date.now() - restartedAt;
    const figures = await executionFigures(commands);
    expect(figures).toMatchObject({ operations: 660, unfinished: 0, duplicated: 0 });
    recordScenario({
      scenario: 'Redis killed (-9) and restarted empty (1 s down) with 6 group commands in flight',
      operations: figures.operations,
      lost: figures.unfinished,
      duplicated: figures.duplicated,
      recoveredInMs,
      notes: `${figures.redelivered} redeliveries deduplicated at the gateways`,
    });
  });
});

/**
 * Counted at the gateways, not taken from the control plane's word: executions of these commands
 * not finished, run more than once, and delivered more than once (redeliveries the gateways dropped).
 */
async function executionFigures(
  commandIds: readonly string[],
): Promise<{ operations: number; unfinished: number; duplicated: number; redelivered: number }> {
  const figures = { operations: 0, unfinished: 0, duplicated: 0, redelivered: 0 };
  for (const id of commandIds) {
    for (const execution of await allResults(tenant.as.viewer, id)) {
      figures.operations += 1;
      if (!['succeeded', 'failed', 'timed_out', 'expired', 'canceled'].includes(execution.state))
        figures.unfinished += 1;
      const owner = gateways.find((g) => g.id === execution.gatewayId);
      if ((owner?.runs.get(execution.id) ?? 0) > 1) figures.duplicated += 1;
      if ((owner?.receipts.get(execution.id) ?? 0) > 1) figures.redelivered += 1;
    }
  }
  return figures;
}
