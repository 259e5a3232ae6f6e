import type { DeviceConfig } from '@fleet/contracts';
import { loadProfileCatalog, resolveCommand, type ProfileCatalog } from '@fleet/profiles';
import { beforeAll, describe, expect, it } from 'vitest';
import { createSimulatedDevice } from './simulated-device.js';
import { TelemetrySampler } from './telemetry-sampler.js';

let catalog: ProfileCatalog;
let now = Date.UTC(2026, 0, 1, 3, 0, 0);
const clock = () => now;

beforeAll(async () => {
  catalog = await loadProfileCatalog();
});

function light(id = 'light-1', dark = true) {
  const config: DeviceConfig = {
    id,
    name: id,
    profileId: 'streetlight-controller',
    connection: {
      kind: 'modbus-rtu',
      path: '/dev/ttyUSB0',
      baudRate: 9600,
      parity: 'even',
      unitId: 1,
    },
    tags: [],
  };
  return createSimulatedDevice(config, catalog.get('streetlight-controller'), {
    clock,
    seed: 7,
    isDark: () => dark,
  });
}

function sampler(random: () => number = () => 0, faults = { timeout: 0, exception: 0 }) {
  return new TelemetrySampler({
    pollScale: 1,
    readingHeartbeatMs: 300_000,
    faults,
    faultLength: 3,
    random,
  });
}

describe('TelemetrySampler', () => {
  it('reports every value first, then only what moved beyond its deadband, and all again at the reading heartbeat', () => {
    const s = sampler();
    const device = light();
    s.setDevices([device], now);
    const first = s.collect(now);
    const points = new Set(first.readings.map((r) => r.point));
    expect(points).toEqual(
      new Set([
        'lamp_on',
        'photocell_dark',
        'dim_level',
        'operating_mode',
        'power',
        'voltage',
        'current',
        'power_factor',
        'temperature',
        'fault_flags',
        'lamp_hours',
        'energy',
        'switch_cycles',
      ]),
    );
    expect(first.readings.find((r) => r.point === 'lamp_on')?.value).toBe(true);
    expect(first.readings.every((r) => r.ts === now && r.deviceId === 'light-1')).toBe(true);

    // Nothing is due before the status group's 30 s period.
    now += 10_000;
    expect(s.collect(now).readings).toEqual([]);

    // Dimmed to 40 %: the next poll reports the level and the power, not the unchanged state.
    for (const op of resolveCommand(device.profile, 'setDim', { level: 40 }))
      if (op.kind !== 'delay') device.apply(op);
    now += 20_000;
    const changed = s.collect(now).readings;
    const byPoint = new Map(changed.map((r) => [r.point, r.value]));
    expect(byPoint.get('dim_level')).toBe(40);
    // Rated 110 W (seed 7): 40 % of it, within the model's measurement noise.
    expect(byPoint.get('power')).toBeGreaterThan(40);
    expect(byPoint.get('power')).toBeLessThan(48);
    expect(byPoint.has('lamp_on')).toBe(false);
    expect(byPoint.has('operating_mode')).toBe(false);

    now += 300_000;
    expect(
      s.collect(now).readings.filter((r) => r.point !== 'lamp_hours' && r.point !== 'energy')
        .length,
    ).toBe(11);
  });

  it('stretches poll periods by the poll scale and polls a commanded device at once', () => {
    const s = new TelemetrySampler({
      pollScale: 10,
      readingHeartbeatMs: 3_600_000,
      faults: { timeout: 0, exception: 0 },
      faultLength: 1,
      random: () => 0,
    });
    const device = light('light-2', false);
    s.setDevices([device], now);
    expect(s.collect(now).readings.length).toBeGreaterThan(0);
    for (const op of resolveCommand(device.profile, 'switchOn', {}))
      if (op.kind !== 'delay') device.apply(op);
    now += 60_000;
    // 30 s × 10: not due yet after a minute...
    expect(s.collect(now).readings).toEqual([]);
    // ...unless a command asks for it.
    s.pollSoon('light-2', now);
    expect(s.collect(now).readings.map((r) => [r.point, r.value])).toContainEqual([
      'lamp_on',
      true,
    ]);
  });

  it('turns silent polls into degraded, then unreachable, and back to ok when the device answers', () => {
    // Two draws stagger the poll groups, the third starts a timeout episode, later ones nothing.
    const draws = [0, 0, 0];
    const s = sampler(() => draws.shift() ?? 0.99, { timeout: 0.5, exception: 0 });
    const device = light('light-3');
    s.setDevices([device], now);
    const states: string[] = [];
    for (let i = 0; i < 3; i++) {
      const sample = s.collect(now);
      states.push(...sample.health.map((h) => h.state));
      if (i < 2) expect(sample.readings).toEqual([]);
      else expect(sample.readings.length).toBeGreaterThan(0);
      now += 30_000;
    }
    expect(states).toEqual(['degraded', 'unreachable', 'ok']);
    expect(s.summary()).toEqual({ total: 1, healthy: 1, unhealthy: 0 });
  });

  it('reports exception replies as degraded with the Modbus exception code and meaning', () => {
    const draws = [0, 0.2, 0.1, 0.1];
    const s = sampler(() => draws.shift() ?? 0.99, { timeout: 0, exception: 0.5 });
    s.setDevices([light('light-4')], now);
    const sample = s.collect(now);
    expect(sample.health).toHaveLength(1);
    expect(sample.health[0]).toMatchObject({
      deviceId: 'light-4',
      state: 'degraded',
      error: { code: 'MODBUS_EXCEPTION_4', retryable: false },
    });
    expect(sample.health[0]!.error!.message).toContain('Server Device Failure');
    expect(s.summary().unhealthy).toBe(1);
  });
});
