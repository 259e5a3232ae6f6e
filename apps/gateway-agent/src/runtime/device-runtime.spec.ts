import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { packageRoot } from '@fleet/common';
import type { DeviceConfig, DeviceHealthChange, GatewayConfigMessage } from '@fleet/contracts';
import {
  GpioError,
  SimulatedGpioController,
  SimulatedModbusClient,
  type GpioController,
  type ModbusBusSpec,
  type ReadingReport,
} from '@fleet/fieldbus';
import { encodePoint, type DeviceProfile } from '@fleet/profiles';
import { createAgentLogger } from '../agent/agent-logger.js';
import { validateGatewayConfig } from './config-validator.js';
import { DeviceRuntime } from './device-runtime.js';
import { planRuntime, type RuntimePlan } from './runtime-plan.js';

// The shipped meter profile, polled every 100 ms with short deadlines so a unit test sees cycles.
const meterSource = readFileSync(join(packageRoot(), 'device-profiles/eastron-sdm630.yaml'), 'utf8')
  .replace(/periodMs: \d+/g, 'periodMs: 100')
  .replace(/timeoutMs: \d+/g, 'timeoutMs: 40')
  .replace('interFrameDelayMs: 50', 'interFrameDelayMs: 0');

const tcp = (host: string, unitId: number) =>
  ({ kind: 'modbus-tcp', host, port: 502, unitId }) as const;
const dev = (id: string, connection: DeviceConfig['connection']): DeviceConfig => ({
  id,
  name: id,
  profileId: 'eastron-sdm630',
  connection,
  tags: [],
});

const relaySource = readFileSync(
  join(packageRoot(), 'device-profiles/gpio-relay-board.yaml'),
  'utf8',
).replace(/periodMs: \d+/g, 'periodMs: 100');

function plan(devices: DeviceConfig[], version = 1): RuntimePlan {
  const message: GatewayConfigMessage = {
    v: 1,
    type: 'config',
    version,
    issuedAt: 1_767_225_600_000,
    devices,
    profiles: [
      { id: 'eastron-sdm630', version: '1.0.0', source: meterSource },
      { id: 'gpio-relay-board', version: '1.0.0', source: relaySource },
    ],
  };
  const verdict = validateGatewayConfig(message);
  if (!verdict.ok) throw new Error(verdict.reason);
  return planRuntime(verdict.config);
}

/** Maps every register of the profile on a unit, holding `values` (engineering units). */
function seed(
  client: SimulatedModbusClient,
  unitId: number,
  profile: DeviceProfile,
  values: Record<string, number>,
): void {
  client.addUnit(unitId);
  for (const p of profile.points) {
    if (p.table === 'input' || p.table === 'holding')
      client.mapRange(unitId, p.table, p.address!, p.count);
  }
  for (const [name, value] of Object.entries(values)) {
    const p = profile.points.find((x) => x.name === name)!;
    (encodePoint(p, value) as number[]).forEach((word, i) => {
      client.setRegister(unitId, p.table as 'input', p.address! + i, word);
    });
  }
}

const meterProfile = (): DeviceProfile => plan([dev('x', tcp('h', 1))]).buses[0].devices[0].profile;

const relays: DeviceConfig = {
  id: 'cabinet-io',
  name: 'Cabinet relays and doors',
  profileId: 'gpio-relay-board',
  connection: { kind: 'gpio' },
  tags: [],
};

class Harness {
  gpio: GpioController = new SimulatedGpioController();
  readonly clients = new Map<string, SimulatedModbusClient>();
  /** Units to put on a bus when the runtime opens it. */
  readonly units = new Map<string, Record<number, Record<string, number>>>();
  readonly reports: ReadingReport[] = [];
  readonly health: DeviceHealthChange[] = [];
  readonly runtime = new DeviceRuntime({
    readingHeartbeatMs: 60_000,
    onReport: (r) => this.reports.push(r),
    onHealth: (h) => this.health.push(h),
    logger: createAgentLogger(process.env['SPEC_LOG'] === '1' ? 'debug' : 'silent'),
    gpio: () => this.gpio,
    buses: {
      modbusClient: (spec: ModbusBusSpec) => {
        const id =
          spec.kind === 'modbus-tcp' ? `tcp:${spec.host}:${spec.port}` : `rtu:${spec.path}`;
        const client = new SimulatedModbusClient(id, { serial: spec.kind === 'modbus-rtu' });
        for (const [unit, values] of Object.entries(this.units.get(id) ?? {}))
          seed(client, Number(unit), meterProfile(), values);
        // The real drivers connect on first use; the simulator wants an explicit connect.
        void client.connect({ timeoutMs: 1_000 });
        this.clients.set(id, client);
        return client;
      },
    },
  });

  async until(check: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}

const harnesses: Harness[] = [];
afterEach(async () => {
  for (const h of harnesses.splice(0)) await h.runtime.stop();
});

function harness(): Harness {
  const h = new Harness();
  harnesses.push(h);
  return h;
}

describe('DeviceRuntime', () => {
  it('gives every device on one physical bus the same client and scheduler', async () => {
    const h = harness();
    await h.runtime.apply(
      plan([
        dev('m1', tcp('10.0.0.5', 1)),
        dev('m2', tcp('10.0.0.5', 2)),
        dev('m3', tcp('10.0.0.6', 1)),
      ]),
    );
    const a = h.runtime.commandTargets('m1')!.modbus!;
    const b = h.runtime.commandTargets('m2')!.modbus!;
    const c = h.runtime.commandTargets('m3')!.modbus!;
    expect(b.scheduler).toBe(a.scheduler);
    expect(b.client).toBe(a.client);
    expect(c.scheduler).not.toBe(a.scheduler);
    expect([a.unitId, b.unitId]).toEqual([1, 2]);
    const snapshot = h.runtime.snapshot();
    expect(snapshot.configVersion).toBe(1);
    expect(snapshot.buses.map((s) => [s.id, s.devices])).toEqual([
      ['tcp:10.0.0.5:502', ['m1', 'm2']],
      ['tcp:10.0.0.6:502', ['m3']],
    ]);
  });

  it('polls the devices and hands decoded readings to the callback', async () => {
    const h = harness();
    h.units.set('tcp:10.0.0.5:502', { 1: { voltage_l1: 231.5, frequency: 49.98 } });
    await h.runtime.apply(plan([dev('m1', tcp('10.0.0.5', 1))]));
    await h.until(
      () => h.reports.some((r) => r.values['voltage_l1'] !== undefined),
      'a voltage reading',
    );
    const report = h.reports.find((r) => r.values['voltage_l1'] !== undefined)!;
    expect(report.deviceId).toBe('m1');
    expect(report.values['voltage_l1']).toBeCloseTo(231.5, 3);
    await h.until(
      () => h.reports.some((r) => r.values['frequency'] !== undefined),
      'a frequency reading',
    );
    expect(h.runtime.snapshot().devices[0]).toMatchObject({
      id: 'm1',
      health: 'ok',
      polling: true,
      address: 'unit 1',
    });
  });

  it('applies a new plan without touching a bus that did not change', async () => {
    const h = harness();
    await h.runtime.apply(plan([dev('m1', tcp('10.0.0.5', 1)), dev('m2', tcp('10.0.0.6', 1))]));
    const kept = h.runtime.commandTargets('m1')!.modbus!;
    const dropped = h.clients.get('tcp:10.0.0.6:502')!;
    const closed = vi.spyOn(dropped, 'close');
    const keptClose = vi.spyOn(kept.client, 'close');

    const changes = await h.runtime.apply(
      plan([dev('m1', tcp('10.0.0.5', 1)), dev('m2', tcp('10.0.0.7', 1))], 2),
    );
    expect(changes).toMatchObject({
      keptBuses: ['tcp:10.0.0.5:502'],
      addedBuses: ['tcp:10.0.0.7:502'],
      removedBuses: ['tcp:10.0.0.6:502'],
      keptDevices: ['m1'],
    });
    const after = h.runtime.commandTargets('m1')!.modbus!;
    expect(after.scheduler).toBe(kept.scheduler);
    expect(after.client).toBe(kept.client);
    expect(keptClose).not.toHaveBeenCalled();
    expect(closed).toHaveBeenCalled();
    expect(h.runtime.snapshot().buses.map((b) => b.id)).toEqual([
      'tcp:10.0.0.5:502',
      'tcp:10.0.0.7:502',
    ]);
    expect(h.runtime.configVersion).toBe(2);
  });

  it('reports a device that stops answering as degraded, then unreachable, and back to ok', async () => {
    const h = harness();
    h.units.set('tcp:10.0.0.5:502', { 1: { voltage_l1: 230 } });
    await h.runtime.apply(plan([dev('m1', tcp('10.0.0.5', 1))]));
    const client = h.clients.get('tcp:10.0.0.5:502')!;
    await h.until(() => h.reports.length > 0, 'a first reading');
    client.injectFault(1, { fault: { kind: 'timeout' } });
    await h.until(() => h.health.some((c) => c.state === 'unreachable'), 'unreachable');
    expect(h.health.map((c) => c.state).slice(0, 2)).toEqual(['degraded', 'unreachable']);
    expect(h.health[1]).toMatchObject({ deviceId: 'm1', error: { code: 'DEVICE_UNREACHABLE' } });
    const down = h.runtime.snapshot();
    expect(down.devices[0]).toMatchObject({ health: 'unreachable' });
    expect(down.buses[0]).toMatchObject({ state: 'down' });
    expect(h.runtime.heartbeat()).toMatchObject({
      buses: [{ id: 'tcp:10.0.0.5:502', state: 'down' }],
      devices: { total: 1, healthy: 0, unhealthy: 1 },
    });
    client.clearFaults(1);
    await h.until(() => h.health.at(-1)?.state === 'ok', 'ok again', 10_000);
    expect(h.runtime.heartbeat().devices).toEqual({ total: 1, healthy: 1, unhealthy: 0 });
  });

  it('stops every poller and closes every bus on stop', async () => {
    const h = harness();
    await h.runtime.apply(plan([dev('m1', tcp('10.0.0.5', 1))]));
    const close = vi.spyOn(h.clients.get('tcp:10.0.0.5:502')!, 'close');
    await h.runtime.stop();
    expect(close).toHaveBeenCalled();
    expect(h.runtime.snapshot()).toEqual({ configVersion: 0, buses: [], devices: [] });
    const count = h.reports.length;
    await new Promise((r) => setTimeout(r, 250));
    expect(h.reports.length).toBe(count);
  });

  it('polls GPIO devices through their lines and reports inputs', async () => {
    const h = harness();
    const controller = new SimulatedGpioController();
    h.gpio = controller;
    await h.runtime.apply(plan([relays]));
    await h.until(() => h.reports.some((r) => r.values['door_front'] !== undefined), 'door state');
    expect(h.reports[0]).toMatchObject({
      deviceId: 'cabinet-io',
      values: { relay_1: false, door_front: false, door_rear: false },
    });
    controller.setInput('GPIO22', 1);
    await h.until(() => h.reports.some((r) => r.values['door_front'] === true), 'door opened');
    expect(h.runtime.snapshot().devices).toEqual([
      expect.objectContaining({ id: 'cabinet-io', address: 'gpio', health: 'ok', polling: true }),
    ]);
    expect(h.runtime.commandTargets('cabinet-io')?.gpio).toBeDefined();
  });

  it('reports a GPIO device as unreachable when the machine has no GPIO', async () => {
    const h = harness();
    h.gpio = {
      open: (name) =>
        Promise.reject(
          new GpioError('GPIO_UNAVAILABLE', `GPIO not available on this machine for ${name}`),
        ),
      closeAll: () => Promise.resolve(),
    };
    await h.runtime.apply(plan([relays]));
    await h.until(() => h.health.length > 0, 'a health change');
    expect(h.health[0]).toMatchObject({
      deviceId: 'cabinet-io',
      state: 'unreachable',
      error: { code: 'GPIO_UNAVAILABLE' },
    });
    expect(h.runtime.snapshot().devices[0]).toMatchObject({
      health: 'unreachable',
      lastError: expect.stringMatching(/^GPIO_UNAVAILABLE: /),
    });
    expect(h.reports).toEqual([]);
  });
});
