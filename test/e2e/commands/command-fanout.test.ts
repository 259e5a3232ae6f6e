import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestControlPlane, type TestControlPlane } from '../../support/control-plane.js';
import type { TestGateway } from '../../support/gateway-client.js';
import { seedTenant, type TenantFixture } from '../../support/tenant-fixture.js';
import { CommandGateway, type Behaviour } from './support/command-gateway.js';
import {
  addStreetlights,
  allResults,
  commandOf,
  enrollGateways,
  EventCollector,
  eventually,
  inParallel,
} from './support/command-fleet.js';

/**
 * A group command to 1,000 streetlights on 50 protocol-level gateways (TestGateway speaking the
 * MQTT contracts, answering per device): 40 gateways answer, one device each fails with an
 * illegal address; 5 have five devices that time out; 2 come online only after the command was
 * sent; 3 stay offline past the TTL. Counts by state come out exact, from the API and over SSE.
 */
let cp: TestControlPlane;
let tenant: TenantFixture;
let enrolled: TestGateway[] = [];
let deviceIds: string[][] = [];
const gateways: CommandGateway[] = [];

const ILLEGAL_ADDRESS = {
  code: 'MODBUS_ILLEGAL_ADDRESS',
  message:
    'Modbus exception 02: Illegal Data Address (the register range is not mapped on the device)',
  retryable: false,
};

beforeAll(async () => {
  cp = await startTestControlPlane({
    AUTH_RATE_LIMIT_PER_MINUTE: '100000',
    PRESENCE_DEBOUNCE_MS: '0',
    RECONCILE_INTERVAL_SECONDS: '2',
  });
  tenant = await seedTenant(cp.platform, 'hcm', ['hcm-d3', 'hcm-d1']);
  enrolled = await enrollGateways(tenant, cp.anonymous, 'hcm-d3', 'HCM-D3-GW', 50);
  deviceIds = await addStreetlights(tenant, enrolled, 20);
}, 180_000);

afterAll(async () => {
  await Promise.all(gateways.map((g) => g.close()));
  await cp?.close();
});

function behaviourFor(gatewayIndex: number, devices: readonly string[]): Behaviour {
  return (execution) => {
    const unit = devices.indexOf(execution.deviceId);
    if (gatewayIndex < 40 && unit === 19) return { outcome: 'failed', error: ILLEGAL_ADDRESS };
    if (gatewayIndex >= 40 && gatewayIndex < 45 && unit < 5)
      return {
        outcome: 'timed_out',
        error: {
          code: 'DEVICE_TIMEOUT',
          message: 'no answer within 500 ms (3 attempts)',
          retryable: true,
        },
      };
    return {
      outcome: 'succeeded',
      verify: { ok: true, point: 'dim_level', expected: 40, actual: 40 },
      delayMs: unit * 5,
    };
  };
}

describe('a command to 1,000 devices on 50 gateways', () => {
  it('ends with exact counts by state, streamed as progress and paged per device', async () => {
    const online = enrolled.slice(0, 45);
    await inParallel(online, 10, async (g, i) => {
      const gateway = new CommandGateway(g, behaviourFor(i, deviceIds[i]!));
      gateways.push(gateway);
      await gateway.start();
    });
    await eventually(
      () =>
        tenant.as.viewer.get<{ items: unknown[] }>(
          '/api/v1/gateways?selector=status=online&limit=500',
        ),
      (res) => res.body.items.length === 45,
      '45 gateways online',
    );
    const progress = await EventCollector.open(
      `${cp.url}/api/v1/events?kinds=command.progress`,
      tenant.tokens.viewer,
    );

    const created = await tenant.as.operator.post<{
      id: string;
      total: number;
      counts: Record<string, number>;
    }>('/api/v1/commands', {
      target: { selector: 'site=hcm-d3,tag=streetlight' },
      command: 'setDim',
      params: { level: 40 },
      ttlSeconds: 20,
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.total).toBe(1000);
    expect(created.body.counts.queued).toBe(1000);
    const id = created.body.id;

    // Two gateways come online after the command was sent: their executions follow them.
    const late = enrolled.slice(45, 47);
    await inParallel(late, 2, async (g, i) => {
      const gateway = new CommandGateway(g, behaviourFor(45 + i, deviceIds[45 + i]!));
      gateways.push(gateway);
      await gateway.start();
    });

    const final = await eventually(
      () => commandOf(tenant.as.viewer, id),
      (c) => c.done,
      'every execution final',
      60_000,
    );
    expect(final.counts).toEqual({
      queued: 0,
      sent: 0,
      delivered: 0,
      succeeded: 40 * 19 + 5 * 15 + 2 * 20,
      failed: 40,
      timed_out: 25,
      expired: 60,
      canceled: 0,
    });
    expect(final.state).toBe('completed');

    // Each device ran once, on its own gateway; nothing ran on gateways that stayed offline.
    const runs = gateways.flatMap((g) => [...g.runs.values()]);
    expect(runs).toHaveLength(940);
    expect(runs.every((n) => n === 1)).toBe(true);
    for (const [i, g] of gateways.entries()) {
      const own = new Set(deviceIds[enrolled.indexOf(g.gateway)]!);
      expect(
        [...g.latest.values()].every((e) => own.has(e.deviceId)),
        `gateway ${i}`,
      ).toBe(true);
    }

    const failed = await allResults(tenant.as.viewer, id, 'failed');
    expect(failed).toHaveLength(40);
    expect(failed[0]!.error).toEqual({
      code: 'MODBUS_ILLEGAL_ADDRESS',
      message: ILLEGAL_ADDRESS.message,
    });
    const expired = await allResults(tenant.as.viewer, id, 'expired');
    expect(new Set(expired.map((e) => e.gatewayId))).toEqual(
      new Set(enrolled.slice(47).map((g) => g.id)),
    );
    expect(expired.every((e) => e.error?.code === 'EXPIRED' && e.attempts === 0)).toBe(true);
    const succeeded = await allResults(tenant.as.viewer, id, 'succeeded');
    expect(succeeded).toHaveLength(875);
    expect(succeeded[0]!.result).toMatchObject({
      verify: { ok: true, point: 'dim_level', expected: 40, actual: 40 },
    });
    const all = await allResults(tenant.as.viewer, id);
    expect(new Set(all.map((e) => e.deviceId)).size).toBe(1000);

    // The last progress event says what the database says.
    const mine = await eventually(
      () =>
        Promise.resolve(
          progress.events.filter(
            (e): e is { commandId: string; done: boolean; counts: Record<string, number> } =>
              (e as { commandId?: string }).commandId === id,
          ),
        ),
      (events) => events.some((e) => e.done),
      'a final progress event',
    );
    await progress.close();
    expect(mine.at(-1)!.counts).toEqual(final.counts);

    // A gateway that comes back after the TTL gets nothing.
    const afterTtl = new CommandGateway(enrolled[47]!);
    gateways.push(afterTtl);
    await afterTtl.start();
    await eventually(
      () => tenant.as.viewer.get<{ status: string }>(`/api/v1/gateways/${enrolled[47]!.id}`),
      (res) => res.body.status === 'online',
      'late gateway online',
    );
    await new Promise((r) => setTimeout(r, 1_000));
    expect(afterTtl.receipts.size).toBe(0);

    const list = await tenant.as.viewer.get<{
      items: { id: string; counts: Record<string, number> }[];
    }>('/api/v1/commands?state=completed');
    expect(list.body.items.map((c) => c.id)).toEqual([id]);
    expect(list.body.items[0]!.counts.succeeded).toBe(875);
  });
});
