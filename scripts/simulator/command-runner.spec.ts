import type { CommandExecution, DeviceConfig } from '@fleet/contracts';
import { loadProfileCatalog, type ProfileCatalog } from '@fleet/profiles';
import { beforeAll, describe, expect, it } from 'vitest';
import { runExecution } from './command-runner.js';
import {
  createSimulatedDevice,
  GpioSimulatedDevice,
  PelcoDSimulatedDevice,
  type SimulatedDevice,
} from './simulated-device.js';

let catalog: ProfileCatalog;
let now = Date.UTC(2026, 0, 1, 3);
const slept: number[] = [];
const options = {
  now: () => now,
  sleep: (ms: number) => {
    slept.push(ms);
    now += ms;
    return Promise.resolve();
  },
};

beforeAll(async () => {
  catalog = await loadProfileCatalog();
});

function device(profileId: string, connection: DeviceConfig['connection']): SimulatedDevice {
  const config: DeviceConfig = {
    id: `${profileId}-1`,
    name: profileId,
    profileId,
    connection,
    tags: [],
  };
  return createSimulatedDevice(config, catalog.get(profileId), {
    clock: () => now,
    seed: 3,
    isDark: () => false,
  });
}

const rtu = (unitId: number): DeviceConfig['connection'] => ({
  kind: 'modbus-rtu',
  path: '/dev/ttyUSB0',
  baudRate: 9600,
  parity: 'even',
  unitId,
});

function execution(
  command: string,
  params: CommandExecution['params'] = {},
  extra: Partial<CommandExecution> = {},
): CommandExecution {
  return {
    executionId: `exec-${command}`,
    commandId: 'cmd-1',
    deviceId: 'dev',
    command,
    params,
    priority: 50,
    expiresAt: now + 60_000,
    ...extra,
  };
}

describe('runExecution', () => {
  it('dims a street light and reports the read-back', async () => {
    const light = device('streetlight-controller', rtu(5));
    const result = await runExecution(execution('setDim', { level: 40 }), light, options);
    expect(result).toMatchObject({
      executionId: 'exec-setDim',
      outcome: 'succeeded',
      verify: { ok: true, point: 'dim_level', expected: 40, actual: 40 },
    });
    expect(result.error).toBeUndefined();
    expect(light.read(light.profile.points.filter((p) => p.name === 'dim_level'))).toEqual({
      dim_level: 40,
    });
  });

  it('refuses bad parameters, unknown commands, unknown devices and expired executions without touching the device', async () => {
    const light = device('streetlight-controller', rtu(5));
    const bad = await runExecution(execution('setDim', { level: 140 }), light, options);
    expect(bad.outcome).toBe('failed');
    expect(bad.error?.code).toBe('INVALID_PARAMETERS');
    expect(bad.error?.message).toContain('level');
    expect((await runExecution(execution('explode'), light, options)).error?.code).toBe(
      'UNKNOWN_COMMAND',
    );
    expect((await runExecution(execution('switchOn'), undefined, options)).error).toEqual({
      code: 'UNKNOWN_DEVICE',
      message: "device dev is not in this gateway's configuration",
      retryable: false,
    });
    const expired = await runExecution(
      execution('switchOn', {}, { expiresAt: now - 5 }),
      light,
      options,
    );
    expect(expired).toMatchObject({
      outcome: 'failed',
      error: { code: 'EXPIRED', retryable: false },
    });
    expect(light.read(light.profile.points.filter((p) => p.name === 'lamp_on'))).toEqual({
      lamp_on: false,
    });
  });

  it('reports a silent device as timed out and an exception reply as failed, with whether to retry', async () => {
    const meter = device('eastron-sdm630', rtu(1));
    meter.faults.inject({ kind: 'timeout' }, 1);
    const silent = await runExecution(
      execution('setDemandPeriod', { minutes: 15 }),
      meter,
      options,
    );
    expect(silent).toMatchObject({
      outcome: 'timed_out',
      error: { code: 'DEVICE_TIMEOUT', retryable: true },
    });
    meter.faults.inject({ kind: 'exception', code: 6 }, 1);
    const busy = await runExecution(execution('setDemandPeriod', { minutes: 15 }), meter, options);
    expect(busy).toMatchObject({
      outcome: 'failed',
      error: { code: 'MODBUS_EXCEPTION_6', retryable: true },
    });
    expect(busy.error?.message).toContain('Server Device Busy');
    const ok = await runExecution(execution('setDemandPeriod', { minutes: 15 }), meter, options);
    expect(ok).toMatchObject({ outcome: 'succeeded', verify: { ok: true, actual: 15 } });
  });

  it('moves a Pelco-D camera, stores and recalls a preset, and answers a position query', async () => {
    const camera = device('pelco-d-camera', {
      kind: 'serial',
      path: '/dev/ttyUSB1',
      baudRate: 2400,
      parity: 'none',
      address: 3,
    });
    expect(camera).toBeInstanceOf(PelcoDSimulatedDevice);
    const cam = (camera as PelcoDSimulatedDevice).camera;
    expect(
      (await runExecution(execution('setPanPosition', { degrees: 90 }), camera, options)).outcome,
    ).toBe('succeeded');
    expect(
      (await runExecution(execution('setPreset', { preset: 4 }), camera, options)).outcome,
    ).toBe('succeeded');
    const moved = await runExecution(
      execution('move', { pan: 32, durationMs: 2000 }),
      camera,
      options,
    );
    expect(moved.outcome).toBe('succeeded');
    expect(slept).toContain(2000);
    expect(cam.moving).toBe(false);
    expect(cam.position().pan).not.toBe(9000);
    expect(
      (await runExecution(execution('gotoPreset', { preset: 4 }), camera, options)).outcome,
    ).toBe('succeeded');
    const query = await runExecution(execution('queryPan'), camera, options);
    expect(query).toMatchObject({ outcome: 'succeeded', values: { pan: 9000 } });
  });

  it('stops a camera move that fails half way (the safety stop runs)', async () => {
    const camera = device('pelco-d-camera', {
      kind: 'serial',
      path: '/dev/ttyUSB1',
      baudRate: 2400,
      parity: 'none',
      address: 1,
    });
    const failing = {
      now: options.now,
      sleep: () => Promise.reject(new Error('gateway stopped')),
    };
    const result = await runExecution(execution('move', { pan: -20 }), camera, failing);
    expect(result).toMatchObject({ outcome: 'failed', error: { code: 'ABORTED' } });
    expect((camera as PelcoDSimulatedDevice).camera.moving).toBe(false);
  });

  it('switches and pulses the cabinet relays', async () => {
    const relays = device('gpio-relay-board', { kind: 'gpio' });
    expect(relays).toBeInstanceOf(GpioSimulatedDevice);
    const board = (relays as GpioSimulatedDevice).board;
    await runExecution(execution('switchRelay', { relay: 3, energised: true }), relays, options);
    expect(board.read('relay_3')).toBe(true);
    const cycled = await runExecution(
      execution('powerCycleModem', { offSeconds: 5 }),
      relays,
      options,
    );
    expect(cycled.outcome).toBe('succeeded');
    expect(board.history.filter((h) => h.point === 'relay_1').map((h) => h.value)).toEqual([
      true,
      false,
    ]);
    expect(board.read('relay_1')).toBe(false);
  });
});
