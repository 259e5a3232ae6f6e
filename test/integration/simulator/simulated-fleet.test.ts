import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentSimLogger } from '../../../scripts/simulator/sim-logger.js';
import {
  startSimulatedFleet,
  type SimulatedFleet,
} from '../../../scripts/simulator/simulated-fleet.js';
import {
  parseSimulatorOptions,
  type SimulatorOptions,
} from '../../../scripts/simulator/simulator-options.js';
import { startTestControlPlane, type TestControlPlane } from '../../support/control-plane.js';
import { seedTenant, type TenantFixture } from '../../support/tenant-fixture.js';

/**
 * The simulator against a real control plane (Postgres, Redis, embedded broker): it enrolls a few
 * gateways with claims made by a technician, registers their devices, comes online with its own
 * MQTT credentials, applies the pushed configuration, reports telemetry that the API shows, and
 * answers commands sent through the commands API (cmd → cmd/ack → cmd/result).
 */
let cp: TestControlPlane;
let tenant: TenantFixture;
let dir: string;
let fleet: SimulatedFleet | undefined;
let options: SimulatorOptions;

interface Gateway {
  id: string;
  serialNumber: string;
  status: string;
  firmwareVersion: string | null;
  deviceCount: number;
  configVersion: number;
  configAppliedVersion: number | null;
}
interface Point {
  point: string;
  value: unknown;
}

async function until<T>(
  read: () => Promise<T>,
  ok: (v: T) => boolean,
  what: string,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value).slice(0, 2000)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const gateways = async (): Promise<Gateway[]> =>
  (await tenant.as.viewer.get<{ items: Gateway[] }>('/api/v1/gateways?limit=100')).body.items;
const state = async (deviceId: string): Promise<Point[]> =>
  (await tenant.as.viewer.get<{ points: Point[] }>(`/api/v1/devices/${deviceId}/state`)).body
    .points;
const valueOf = (points: Point[], name: string): unknown =>
  points.find((p) => p.point === name)?.value;

beforeAll(async () => {
  cp = await startTestControlPlane({
    AUTH_RATE_LIMIT_PER_MINUTE: '1000',
    PRESENCE_DEBOUNCE_MS: '300',
  });
  tenant = await seedTenant(cp.platform, 'simcity', ['sim-north', 'sim-south']);
  dir = await mkdtemp(join(tmpdir(), 'fleet-sim-it-'));
  options = parseSimulatorOptions({
    server: cp.url,
    token: tenant.tokens.technician,
    gateways: '3',
    devicesPerGateway: '6',
    sites: 'sim-north,sim-south',
    stateFile: join(dir, 'identities.json'),
    batchMs: '200',
    pollScale: '0.05',
    heartbeatSeconds: '2',
    statsSeconds: '0',
  });
  fleet = await startSimulatedFleet(options, silentSimLogger);
});

afterAll(async () => {
  await fleet?.stop();
  await cp?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('simulated fleet against a real control plane', () => {
  it('enrolls with claims, registers the devices, comes online and applies the pushed configuration', async () => {
    expect(fleet?.provisioning).toMatchObject({ enrolled: 3, reused: 0, devicesRegistered: 18 });
    const list = await until(
      gateways,
      (gs) =>
        gs.length === 3 &&
        gs.every((g) => g.status === 'online' && g.configAppliedVersion === g.configVersion),
      'three gateways online with their configuration applied',
    );
    expect(list.map((g) => g.serialNumber).sort()).toEqual(['SIM-0001', 'SIM-0002', 'SIM-0003']);
    for (const g of list) {
      expect(g.firmwareVersion).toBe('1.0.0');
      expect(g.deviceCount).toBe(6);
    }
  });

  it('reports telemetry the API shows: drifting meters and lit street lights drawing power', async () => {
    const identity = fleet!.provisioning.identities[0]!;
    const meter = await until(
      () => state(identity.devices.meter!),
      (points) =>
        typeof valueOf(points, 'voltage_l1') === 'number' &&
        typeof valueOf(points, 'frequency') === 'number',
      'meter readings',
    );
    expect(valueOf(meter, 'voltage_l1')).toBeGreaterThan(220);
    expect(valueOf(meter, 'voltage_l1')).toBeLessThan(240);
    expect(valueOf(meter, 'frequency')).toBeCloseTo(50, 0);
    const light = await until(
      () => state(identity.devices['light-1']!),
      (points) =>
        valueOf(points, 'dim_level') !== undefined && valueOf(points, 'power') !== undefined,
      'street light readings',
    );
    const lit = valueOf(light, 'lamp_on') === true;
    expect(valueOf(light, 'power') as number).toSatisfy((w: number) => (lit ? w > 20 : w < 1));
    const relays = await until(
      () => state(identity.devices.relays!),
      (points) => points.length > 0,
      'relay board readings',
    );
    expect(valueOf(relays, 'relay_1')).toBe(false);
  });

  it('answers a command to every street light: acknowledged, run against the devices, results reported', async () => {
    const created = await tenant.as.operator.post<{ id: string; total: number }>(
      '/api/v1/commands',
      {
        target: { selector: 'tag=streetlight' },
        command: 'setDim',
        params: { level: 40 },
      },
    );
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.total).toBe(9);
    const done = await until(
      async () =>
        (
          await tenant.as.viewer.get<{
            done: boolean;
            counts: Record<string, number>;
            results: {
              items: {
                state: string;
                result: { verify?: { ok: boolean; actual?: unknown } } | null;
              }[];
            };
          }>(`/api/v1/commands/${created.body.id}`)
        ).body,
      (c) => c.done,
      'the command to finish',
    );
    expect(done.counts.succeeded).toBe(9);
    for (const r of done.results.items) {
      expect(r.state).toBe('succeeded');
      expect(r.result?.verify).toMatchObject({ ok: true, actual: 40 });
    }
    // What operators see next: the lights report the new level (and power that follows it).
    const identity = fleet!.provisioning.identities[1]!;
    const light = await until(
      () => state(identity.devices['light-2']!),
      (points) => valueOf(points, 'dim_level') === 40,
      'the new dim level in the device state',
    );
    if (valueOf(light, 'lamp_on') === true) {
      const rated = await until(
        () => state(identity.devices['light-2']!),
        (points) => (valueOf(points, 'power') as number) < 60,
        'power following the dim level',
      );
      expect(valueOf(rated, 'power')).toBeGreaterThan(10);
    }
  });

  it('reports what a misbehaving device answered: the Modbus exception, with its meaning', async () => {
    const identity = fleet!.provisioning.identities[2]!;
    const gateway = fleet!.simulator.gateways.find((g) => g.id === identity.gatewayId)!;
    const meterId = identity.devices.meter!;
    gateway.device(meterId)!.faults.inject({ kind: 'exception', code: 2 }, 1);
    const created = await tenant.as.operator.post<{ id: string }>('/api/v1/commands', {
      target: { deviceIds: [meterId] },
      command: 'setDemandPeriod',
      params: { minutes: 15 },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const done = await until(
      async () =>
        (
          await tenant.as.viewer.get<{
            done: boolean;
            results: {
              items: { state: string; error: { code: string; message: string } | null }[];
            };
          }>(`/api/v1/commands/${created.body.id}`)
        ).body,
      (c) => c.done,
      'the command to finish',
    );
    expect(done.results.items).toHaveLength(1);
    expect(done.results.items[0]!.state).toBe('failed');
    expect(done.results.items[0]!.error?.code).toBe('MODBUS_EXCEPTION_2');
    expect(done.results.items[0]!.error?.message).toContain('Illegal Data Address');
  });

  it('says goodbye on stop, and a re-run reuses the cached identities instead of enrolling again', async () => {
    await fleet!.stop();
    fleet = undefined;
    await until(gateways, (gs) => gs.every((g) => g.status === 'offline'), 'every gateway offline');
    fleet = await startSimulatedFleet(options, silentSimLogger);
    expect(fleet.provisioning).toMatchObject({ enrolled: 0, reused: 3, devicesRegistered: 0 });
    await until(
      gateways,
      (gs) => gs.length === 3 && gs.every((g) => g.status === 'online'),
      'every gateway online again',
    );
  });
});
