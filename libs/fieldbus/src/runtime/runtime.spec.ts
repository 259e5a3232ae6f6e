import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type {
  DeviceProfile,
  ModbusTransportDefaults,
  Operation,
  PointDefinition,
} from '@fleet/profiles';
import { SimulatedModbusClient } from '../modbus/simulated-modbus.driver.js';
import { BusScheduler } from '../scheduler/bus-scheduler.js';
import { SimulatedGpioController } from '../gpio/simulated-gpio.driver.js';
import { SimulatedSerialLink } from '../serial/simulated-serial-link.driver.js';
import { CommandExecutor } from './command-executor.js';
import { DevicePoller, type ReadingReport } from './device-poller.js';
import { GpioLineRegistry } from './gpio-line-registry.js';
import type { ModbusDevice } from './modbus-device.js';
import { evenStaggerMs, staggerOffsetMs } from './poll-stagger.js';

function point(p: Partial<PointDefinition> & Pick<PointDefinition, 'name'>): PointDefinition {
  return {
    count: 1,
    type: 'uint16',
    byteOrder: 'ABCD',
    scale: 1,
    offset: 0,
    access: 'r',
    pollGroup: 'fast',
    pollPeriodMs: 1000,
    deadband: 0,
    ...p,
  };
}

const transport: ModbusTransportDefaults = {
  kind: 'modbus-rtu',
  serial: { baudRate: 9600, parity: 'none', dataBits: 8, stopBits: 1 },
  defaultUnitId: 1,
  timeoutMs: 200,
  byteOrder: 'ABCD',
  maxRegistersPerRead: 125,
  maxCoilsPerRead: 2000,
  maxGap: 4,
  interFrameDelayMs: 0,
  forceMultipleWrite: false,
};

const profile: DeviceProfile = {
  id: 'test-light',
  vendor: 'Test',
  model: 'T1',
  version: '1',
  source: 'test-light.yaml',
  transports: [transport, { kind: 'gpio', debounceMs: 0 }],
  points: [
    point({
      name: 'voltage',
      table: 'input',
      address: 0,
      count: 2,
      type: 'float32',
      unit: 'V',
      deadband: 1,
    }),
    point({
      name: 'power',
      table: 'input',
      address: 2,
      count: 2,
      type: 'float32',
      unit: 'W',
      deadband: 0,
    }),
    point({ name: 'dim', table: 'holding', address: 10, unit: '%', access: 'rw' }),
    point({ name: 'lamp', table: 'coil', address: 0, type: 'bool', access: 'rw' }),
    point({
      name: 'hours',
      table: 'holding',
      address: 20,
      count: 2,
      type: 'uint32',
      pollGroup: 'slow',
      pollPeriodMs: 60_000,
    }),
    point({
      name: 'relay',
      line: 'GPIO17',
      type: 'bool',
      access: 'rw',
      pollGroup: 'slow',
      pollPeriodMs: 60_000,
    }),
  ],
  commands: [],
};

const f32 = (v: number): [number, number] => {
  const b = Buffer.alloc(4);
  b.writeFloatBE(v);
  return [b.readUInt16BE(0), b.readUInt16BE(2)];
};

describe('device runtime', () => {
  let sim: SimulatedModbusClient;
  let scheduler: BusScheduler;
  let device: ModbusDevice;

  beforeEach(async () => {
    sim = new SimulatedModbusClient('sim:rtu', { serial: true, baudRate: 9600 });
    const [v0, v1] = f32(230);
    const [p0, p1] = f32(40);
    sim.addUnit(1, {
      input: { 0: v0, 1: v1, 2: p0, 3: p1 },
      holding: { 10: 100, 20: 0, 21: 5000 },
      coil: { 0: true },
    });
    await sim.connect({ timeoutMs: 10 });
    scheduler = new BusScheduler({ busId: sim.busId, silentIntervalMs: 0 });
    device = { id: 'light-1', profile, unitId: 1, transport, client: sim, scheduler };
  });

  afterEach(async () => {
    await scheduler.close();
    vi.useRealTimers();
  });

  it('reads all points with coalesced requests and decodes them with the profile codec', async () => {
    const gpio = new SimulatedGpioController();
    const poller = new DevicePoller(device, {
      heartbeatMs: 60_000,
      onReport: () => undefined,
      gpio: new GpioLineRegistry(gpio, profile),
    });
    const { values, errors } = await poller.readAll();
    expect(errors).toEqual({});
    expect(values).toEqual({
      voltage: 230,
      power: 40,
      dim: 100,
      lamp: true,
      hours: 5000,
      relay: false,
    });
    // input 0..3 in one read, holding 10 and 20..21 apart (gap 8 > maxGap 4), coil 0.
    expect(sim.log.map((l) => `${l.fc}:${l.address}+${l.count}`).sort()).toEqual([
      '1:0+1',
      '3:10+1',
      '3:20+2',
      '4:0+4',
    ]);
  });

  it('reports on change beyond the deadband, and everything at the heartbeat', async () => {
    vi.useFakeTimers();
    const reports: ReadingReport[] = [];
    const poller = new DevicePoller(device, {
      heartbeatMs: 5000,
      onReport: (r) => reports.push(r),
      startOffsetMs: 0,
    });
    const fast = async (): Promise<ReadingReport | undefined> => {
      reports.length = 0;
      return poller.pollGroup('fast');
    };
    expect((await fast())?.reason).toBe('heartbeat');
    expect(Object.keys(reports[0].values).sort()).toEqual(['dim', 'lamp', 'power', 'voltage']);

    // Voltage moves 0.5 V (deadband 1 V): not reported. Power moves 1 W (deadband 0): reported.
    const [v0, v1] = f32(230.5);
    sim.setRegister(1, 'input', 0, v0);
    sim.setRegister(1, 'input', 1, v1);
    const [p0, p1] = f32(41);
    sim.setRegister(1, 'input', 2, p0);
    sim.setRegister(1, 'input', 3, p1);
    vi.setSystemTime(Date.now() + 1000);
    expect(await fast()).toMatchObject({ reason: 'change', values: { power: 41 } });
    expect(reports[0].values).not.toHaveProperty('voltage');

    // Nothing changed: no report at all.
    vi.setSystemTime(Date.now() + 1000);
    expect(await fast()).toBeUndefined();

    // Heartbeat period passed: every value again.
    vi.setSystemTime(Date.now() + 5000);
    const hb = await fast();
    expect(hb?.reason).toBe('heartbeat');
    expect(hb?.values).toMatchObject({ voltage: 230.5, power: 41, dim: 100, lamp: true });
    await poller.stop();
  });

  it('polls each group on its period once started, and reports health changes', async () => {
    vi.useFakeTimers();
    const reports: ReadingReport[] = [];
    const health: string[] = [];
    const poller = new DevicePoller(device, {
      heartbeatMs: 1000,
      startOffsetMs: 100,
      onReport: (r) => reports.push(r),
      onHealth: (c) => health.push(`${c.deviceId}:${c.to}`),
    });
    poller.start();
    await vi.advanceTimersByTimeAsync(2150);
    expect(reports.filter((r) => r.group === 'fast').length).toBe(3);
    expect(reports.filter((r) => r.group === 'slow').length).toBe(1);
    sim.injectFault(1, { fault: { kind: 'timeout' } });
    await vi.advanceTimersByTimeAsync(5000);
    expect(health).toContain('light-1:suspect');
    expect(reports.at(-1)!.errors.voltage).toMatchObject({
      code: expect.stringMatching(/TIMEOUT|DEVICE_OFFLINE/),
    });
    await poller.stop();
  });

  it('splits a read that hits exception 02 and still returns every readable point', async () => {
    sim.addUnit(2, { holding: { 0: 1, 1: 2, 4: 5 } }); // 2..3 unmapped: a read of 0..4 answers exception 02
    const p2: DeviceProfile = {
      ...profile,
      points: [
        point({ name: 'a', table: 'holding', address: 0, count: 2, type: 'uint32' }),
        point({ name: 'b', table: 'holding', address: 4 }),
      ],
    };
    const poller = new DevicePoller(
      { ...device, unitId: 2, profile: p2 },
      { heartbeatMs: 1, onReport: () => undefined },
    );
    expect(await poller.readAll()).toEqual({ values: { a: 65538, b: 5 }, errors: {} });
    const reads = sim.log.filter((l) => l.unitId === 2).map((l) => `${l.address}+${l.count}`);
    expect(reads).toEqual(['0+5', '0+2', '4+1']);
    // Remembered: the next read goes straight to the split requests.
    await poller.readAll();
    expect(
      sim.log
        .filter((l) => l.unitId === 2)
        .map((l) => `${l.address}+${l.count}`)
        .slice(3),
    ).toEqual(['0+2', '4+1']);
  });

  it('executes writes with verify, reads, and reports a failed verify', async () => {
    const executor = new CommandExecutor({ modbus: device });
    const ops: Operation[] = [
      {
        kind: 'modbus-write',
        table: 'holding',
        address: 10,
        values: [40],
        verify: { point: 'dim', expected: 40, tolerance: 0 },
      },
      { kind: 'modbus-write', table: 'coil', address: 0, values: [false] },
      { kind: 'modbus-read', points: ['lamp', 'dim'] },
    ];
    const ok = await executor.execute(ops);
    expect(ok).toMatchObject({ ok: true, completed: 3, reads: { lamp: false, dim: 40 } });
    expect(ok.verify).toEqual([{ point: 'dim', expected: 40, actual: 40, tolerance: 0, ok: true }]);
    expect(sim.log.filter((l) => l.fc === 6 || l.fc === 5)).toHaveLength(2);

    const bad = await executor.execute([
      {
        kind: 'modbus-write',
        table: 'holding',
        address: 10,
        values: [40],
        verify: { point: 'dim', expected: 45, tolerance: 2 },
      },
    ]);
    expect(bad).toMatchObject({ ok: false, error: { code: 'VERIFY_FAILED', operation: 0 } });
  });

  it('returns the exception code and its meaning when the device refuses a write', async () => {
    sim.injectFault(1, { fault: { kind: 'exception', code: 3 }, fcs: [6] });
    const r = await new CommandExecutor({ modbus: device }).execute([
      { kind: 'modbus-write', table: 'holding', address: 10, values: [999] },
    ]);
    expect(r.ok).toBe(false);
    expect(r.error).toMatchObject({
      code: 'EXCEPTION',
      exceptionCode: 3,
      meaning: expect.stringMatching(/Illegal Data Value/),
    });
  });

  it('uses FC16/FC15 when the profile forces multiple writes', async () => {
    const forced = { ...device, transport: { ...transport, forceMultipleWrite: true } };
    await new CommandExecutor({ modbus: forced }).execute([
      { kind: 'modbus-write', table: 'holding', address: 10, values: [7] },
      { kind: 'modbus-write', table: 'coil', address: 0, values: [true] },
    ]);
    expect(sim.log.map((l) => l.fc)).toEqual([16, 15]);
  });

  it('sends serial frames, decodes Pelco-D replies, drives GPIO, and runs the safety stop on failure', async () => {
    const link = new SimulatedSerialLink('sim:ptz', (frame) =>
      frame[3] === 0x51 ? Uint8Array.from([0xff, 0x01, 0x00, 0x59, 0x2e, 0xe0, 0x68]) : undefined,
    );
    const serialScheduler = new BusScheduler({ busId: 'sim:ptz', silentIntervalMs: 0 });
    const gpio = new SimulatedGpioController();
    const executor = new CommandExecutor({
      serial: { link, scheduler: serialScheduler, device: 'pelco:1', timeoutMs: 100 },
      gpio: new GpioLineRegistry(gpio, profile),
    });
    const query = Uint8Array.from([0xff, 0x01, 0x00, 0x51, 0x00, 0x00, 0x52]);
    const r = await executor.execute([
      {
        kind: 'serial-frame',
        bytes: query,
        replyLength: 7,
        reply: { protocol: 'pelco-d', value: 'pan' },
      },
      { kind: 'gpio-write', line: 'GPIO17', value: 1 },
    ]);
    expect(r).toMatchObject({ ok: true, replies: { pan: 0x2ee0 } });
    expect(gpio.level('GPIO17')).toBe(1);

    const move = Uint8Array.from([0xff, 0x01, 0x00, 0x02, 0x20, 0x00, 0x23]);
    const stop = Uint8Array.from([0xff, 0x01, 0x00, 0x00, 0x00, 0x00, 0x01]);
    link.attach(() => undefined);
    const failed = await executor.execute(
      [
        { kind: 'serial-frame', bytes: move },
        { kind: 'serial-frame', bytes: query, replyLength: 7 },
      ],
      { safetyStop: [{ kind: 'serial-frame', bytes: stop }] },
    );
    expect(failed).toMatchObject({
      ok: false,
      safetyStopRan: true,
      error: { code: 'TIMEOUT', operation: 1 },
    });
    expect([...link.written.at(-1)!]).toEqual([...stop]);
    await serialScheduler.close();
  });
});

describe('GPIO-only device', () => {
  it('polls its lines without any Modbus transport', async () => {
    const board: DeviceProfile = {
      ...profile,
      id: 'relays',
      transports: [{ kind: 'gpio', debounceMs: 0 }],
      points: [
        point({ name: 'relay_1', line: 'GPIO5', type: 'bool', access: 'rw' }),
        point({ name: 'door', line: 'GPIO22', type: 'bool', access: 'r' }),
      ],
    };
    const gpio = new SimulatedGpioController();
    const registry = new GpioLineRegistry(gpio, board);
    const poller = new DevicePoller(
      { id: 'relays-1', profile: board },
      { heartbeatMs: 1000, onReport: () => undefined, gpio: registry },
    );
    expect(await poller.readAll()).toEqual({ values: { relay_1: false, door: false }, errors: {} });
    gpio.setInput('GPIO22', 1);
    await new CommandExecutor({ gpio: registry }).execute([
      { kind: 'gpio-write', line: 'GPIO5', value: 1 },
    ]);
    expect((await poller.readAll()).values).toEqual({ relay_1: true, door: true });
    await registry.closeAll();
    expect(gpio.level('GPIO5')).toBe(0);
  });
});

describe('poll stagger', () => {
  it('spreads device starts over the period instead of one tick', () => {
    const offsets = Array.from({ length: 50 }, (_, i) => staggerOffsetMs(`meter-${i}`, 10_000));
    expect(offsets.every((o) => o >= 0 && o < 10_000)).toBe(true);
    expect(new Set(offsets.map((o) => Math.floor(o / 1000))).size).toBeGreaterThan(5);
    expect(staggerOffsetMs('meter-1', 10_000)).toBe(staggerOffsetMs('meter-1', 10_000));
    expect([0, 1, 2, 3].map((i) => evenStaggerMs(i, 4, 1000))).toEqual([0, 250, 500, 750]);
  });
});
