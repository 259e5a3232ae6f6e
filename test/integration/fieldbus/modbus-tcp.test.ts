import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeviceProfile, ModbusTransportDefaults, PointDefinition } from '@fleet/profiles';
import {
  BusScheduler,
  DevicePoller,
  ModbusError,
  ModbusTcpClient,
  ReadPlanner,
} from '@fleet/fieldbus';
import {
  type ModbusPeer,
  startTcpPeer,
  stopAllPeers,
} from '../../support/modbus-peer/modbus-peer.js';

const D = { timeoutMs: 1000 };

describe('Modbus TCP against pymodbus', () => {
  let peer: ModbusPeer;
  let client: ModbusTcpClient;

  beforeAll(async () => {
    peer = await startTcpPeer({
      units: {
        1: {
          holding: { 0: 1, 1: 2, 2: 3, 3: 4, 10: 100, 11: 101, 20: 0, 21: 0 },
          input: { 0: 0x4366, 1: 0x8000, 2: 7 },
          coil: { 0: true, 1: false, 2: true, 3: false, 8: false, 9: false },
          discrete: { 0: false, 1: true, 2: true },
        },
        2: { holding: { 0: 222 } },
        4: { holding: { 0: 44 }, exception: { code: 6, times: 1 } },
        5: { holding: { 0: 55 }, exception: { code: 4 } },
        6: { holding: { 0: 66 }, wrongUnit: { as: 9, thenCorrect: false } },
        // Registers 0..3 and 10..11 mapped, 4..9 not: a read straight through answers exception 02.
        8: { holding: { 0: 0x4348, 1: 0x0000, 2: 0, 3: 500, 10: 7, 11: 8 } },
      },
    });
    client = new ModbusTcpClient({ host: '127.0.0.1', port: peer.port });
    await client.connect(D);
  });

  afterAll(async () => {
    await client.close();
    await stopAllPeers();
  });

  it('reads every table: FC01, FC02, FC03, FC04', async () => {
    expect(await client.readCoils(1, 0, 4, D)).toEqual([true, false, true, false]);
    expect(await client.readDiscreteInputs(1, 0, 3, D)).toEqual([false, true, true]);
    expect(await client.readHoldingRegisters(1, 0, 4, D)).toEqual([1, 2, 3, 4]);
    expect(await client.readInputRegisters(1, 0, 3, D)).toEqual([0x4366, 0x8000, 7]);
  });

  it('writes with FC05, FC06, FC15, FC16 and the peer holds the new values', async () => {
    await client.writeCoil(1, 1, true, D);
    await client.writeRegister(1, 20, 4242, D);
    await client.writeCoils(1, 8, [true, true], D);
    await client.writeRegisters(1, 10, [7, 8], D);
    expect(await peer.get(1, 'coil', 1)).toEqual([true]);
    expect(await peer.get(1, 'holding', 20)).toEqual([4242]);
    expect(await peer.get(1, 'coil', 8, 2)).toEqual([true, true]);
    expect(await peer.get(1, 'holding', 10, 2)).toEqual([7, 8]);
  });

  it('reports exception 02 with its meaning for an unmapped address', async () => {
    const err = await client.readHoldingRegisters(1, 500, 2, D).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModbusError);
    expect(err).toMatchObject({ code: 'EXCEPTION', exceptionCode: 2 });
    expect((err as ModbusError).message).toMatch(/Illegal Data Address/);
  });

  it('the planner splits a request that hits an unmapped hole, remembers it, and reads all points', async () => {
    // Points at 0..3 and 10..11; with maxGap 10 the planner first reads 0..11 straight through the hole.
    const points = [
      { name: 'a', table: 'holding' as const, address: 0, count: 2 },
      { name: 'b', table: 'holding' as const, address: 2, count: 2 },
      { name: 'c', table: 'holding' as const, address: 10, count: 2 },
    ];
    const planner = new ReadPlanner({
      maxRegistersPerRead: 125,
      maxCoilsPerRead: 2000,
      maxGap: 10,
    });
    let blocks = planner.plan(points);
    expect(blocks).toHaveLength(1);
    const err = await client
      .readHoldingRegisters(1, blocks[0].address, blocks[0].count, D)
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'EXCEPTION', exceptionCode: 2 });
    expect(planner.split(blocks[0])).toBe(true);
    blocks = planner.plan(points);
    const words = await Promise.all(
      blocks.map((b) => client.readHoldingRegisters(1, b.address, b.count, D)),
    );
    expect(blocks.map((b) => `${b.address}+${b.count}`)).toEqual(['0+4', '10+2']);
    expect(words[1]).toEqual([7, 8]);
  });

  it('the device poller splits on exception 02 by itself and remembers it for the next cycle', async () => {
    const point = (
      p: Partial<PointDefinition> & Pick<PointDefinition, 'name' | 'address'>,
    ): PointDefinition => ({
      table: 'holding',
      count: 1,
      type: 'uint16',
      byteOrder: 'ABCD',
      scale: 1,
      offset: 0,
      access: 'r',
      pollGroup: 'g',
      pollPeriodMs: 1000,
      deadband: 0,
      ...p,
    });
    const transport: ModbusTransportDefaults = {
      kind: 'modbus-tcp',
      port: peer.port,
      defaultUnitId: 8,
      timeoutMs: 1000,
      byteOrder: 'ABCD',
      maxRegistersPerRead: 125,
      maxCoilsPerRead: 2000,
      maxGap: 10,
      interFrameDelayMs: 0,
      forceMultipleWrite: false,
    };
    const profile: DeviceProfile = {
      id: 'holes',
      vendor: 'T',
      model: 'T',
      version: '1',
      source: 'holes.yaml',
      transports: [transport],
      points: [
        point({ name: 'temperature', address: 0, count: 2, type: 'float32' }),
        point({ name: 'setpoint', address: 3 }),
        point({ name: 'a', address: 10 }),
        point({ name: 'b', address: 11 }),
      ],
      commands: [],
    };
    const scheduler = new BusScheduler({ busId: client.busId, silentIntervalMs: 0 });
    const poller = new DevicePoller(
      { id: 'holes-8', profile, unitId: 8, transport, client, scheduler },
      { heartbeatMs: 0, onReport: () => undefined },
    );
    expect(await poller.readAll()).toEqual({
      values: { temperature: 200, setpoint: 500, a: 7, b: 8 },
      errors: {},
    });
    const first = scheduler.stats().transactions;
    // 0..11 answers exception 02; split at every hole it read through: 0..1, 3, 10..11.
    expect(first).toBe(4);
    await poller.readAll();
    expect(scheduler.stats().transactions - first).toBe(3);
    await scheduler.close();
  });

  it('a unit that never answers times out while the others keep being served', async () => {
    const scheduler = new BusScheduler({
      busId: client.busId,
      silentIntervalMs: 0,
      retries: 0,
      health: { offlineAfter: 2 },
    });
    const poll = (unit: number) =>
      scheduler.submit({
        device: `unit:${unit}`,
        priority: 'poll',
        timeoutMs: 600,
        run: (d) => client.readHoldingRegisters(unit, 0, 1, d),
      });
    for (let i = 0; i < 3; i++) {
      const [one, dead, two] = await Promise.allSettled([poll(1), poll(33), poll(2)]);
      expect(one).toMatchObject({ status: 'fulfilled', value: [1] });
      expect(two).toMatchObject({ status: 'fulfilled', value: [222] });
      expect(dead.status).toBe('rejected');
      const code = dead.status === 'rejected' ? (dead.reason as ModbusError).code : '';
      expect(code).toBe(i < 2 ? 'TIMEOUT' : 'DEVICE_OFFLINE');
    }
    expect(scheduler.stats().devices['unit:33'].state).toBe('offline');
    await scheduler.close();
  });

  it('retries a busy (06) device through the scheduler and gets the value', async () => {
    const scheduler = new BusScheduler({
      busId: client.busId,
      silentIntervalMs: 0,
      retryBackoffMs: 20,
    });
    const value = await scheduler.submit({
      device: 'unit:4',
      priority: 'command',
      timeoutMs: 500,
      run: (d) => client.readHoldingRegisters(4, 0, 1, d),
    });
    expect(value).toEqual([44]);
    expect(scheduler.stats().retries).toBe(1);
    await scheduler.close();
  });

  it('reports a device failure (04) without retrying it', async () => {
    const err = await client.readHoldingRegisters(5, 0, 1, D).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'EXCEPTION', exceptionCode: 4 });
    expect((err as ModbusError).transient).toBe(false);
  });

  it('rejects a TCP reply that carries another unit id', async () => {
    const err = await client.readHoldingRegisters(6, 0, 1, D).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'WRONG_UNIT' });
    // The connection stays usable for the next request.
    expect(await client.readHoldingRegisters(2, 0, 1, D)).toEqual([222]);
  });

  it('fails fast with CONNECT_FAILED when nothing listens', async () => {
    const dead = new ModbusTcpClient({ host: '127.0.0.1', port: 1 });
    await expect(dead.readHoldingRegisters(1, 0, 1, D)).rejects.toMatchObject({
      code: 'CONNECT_FAILED',
    });
    await dead.close();
  });
});
