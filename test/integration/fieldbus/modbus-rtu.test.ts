import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BusScheduler, ModbusError, ModbusRtuClient, silentIntervalMs } from '@fleet/fieldbus';
import {
  type ModbusPeer,
  type PeerSeed,
  type PtyPair,
  startPtyPair,
  startRtuPeer,
  stopAllPeers,
} from '../../support/modbus-peer/modbus-peer.js';

const D = { timeoutMs: 800 };
const SERIAL = { baudRate: 19200, parity: 'none', dataBits: 8, stopBits: 1 } as const;

const seed: PeerSeed = {
  units: {
    1: {
      holding: { 0: 11, 1: 12, 2: 13 },
      input: { 0: 101, 1: 102 },
      coil: { 0: true, 1: false },
      discrete: { 0: true },
    },
    2: { holding: { 0: 21, 1: 22, 2: 23 }, input: { 0: 201 }, coil: { 0: false, 1: true } },
    3: { holding: { 0: 31, 1: 32 } },
    // Replies first as unit 9 (a frame a master must ignore), then correctly.
    6: { holding: { 0: 0x1234, 1: 0x5678 }, wrongUnit: { as: 9, thenCorrect: true } },
    // Only ever replies as unit 9.
    7: { holding: { 0: 77 }, wrongUnit: { as: 9, thenCorrect: false } },
    8: { holding: { 0: 88 }, exception: { code: 6, times: 1 } },
  },
};

describe('Modbus RTU against pymodbus over a socat pty pair', () => {
  let pty: PtyPair;
  let peer: ModbusPeer;
  let client: ModbusRtuClient;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rtu-'));
    pty = await startPtyPair({ a: join(dir, 'peer'), b: join(dir, 'gateway') });
    peer = await startRtuPeer(seed, pty.linkA!, SERIAL.baudRate);
    // The stable symlink plays the part of /dev/serial/by-id/...: it survives the re-plug.
    client = new ModbusRtuClient({ path: pty.linkB!, ...SERIAL });
    await client.connect(D);
  });

  afterAll(async () => {
    await client.close();
    await stopAllPeers();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves several unit ids on one bus with every function code', async () => {
    expect(await client.readHoldingRegisters(1, 0, 3, D)).toEqual([11, 12, 13]);
    expect(await client.readHoldingRegisters(2, 0, 3, D)).toEqual([21, 22, 23]);
    expect(await client.readHoldingRegisters(3, 0, 2, D)).toEqual([31, 32]);
    expect(await client.readInputRegisters(1, 0, 2, D)).toEqual([101, 102]);
    expect(await client.readCoils(2, 0, 2, D)).toEqual([false, true]);
    expect(await client.readDiscreteInputs(1, 0, 1, D)).toEqual([true]);
    await client.writeCoil(1, 1, true, D);
    await client.writeCoils(2, 0, [true, false], D);
    await client.writeRegister(3, 1, 3030, D);
    await client.writeRegisters(2, 1, [2020, 2021], D);
    expect(await peer.get(1, 'coil', 1)).toEqual([true]);
    expect(await peer.get(2, 'coil', 0, 2)).toEqual([true, false]);
    expect(await peer.get(3, 'holding', 1)).toEqual([3030]);
    expect(await peer.get(2, 'holding', 1, 2)).toEqual([2020, 2021]);
  });

  it('keeps one transaction in flight when many devices are polled at once', async () => {
    const scheduler = new BusScheduler({
      busId: client.busId,
      silentIntervalMs: silentIntervalMs(SERIAL.baudRate),
    });
    const reads = [1, 2, 3, 1, 2, 3, 1, 2, 3].map((unit) =>
      scheduler.submit({
        device: `unit:${unit}`,
        priority: 'poll',
        timeoutMs: 800,
        run: (d) => client.readHoldingRegisters(unit, 0, 1, d),
      }),
    );
    expect((await Promise.all(reads)).map((r) => r[0])).toEqual([
      11, 21, 31, 11, 21, 31, 11, 21, 31,
    ]);
    expect(scheduler.stats()).toMatchObject({ errors: 0, succeeded: 9 });
    await scheduler.close();
  });

  it('reports exception 02 for an unmapped register with its meaning', async () => {
    const err = await client.readHoldingRegisters(3, 10, 1, D).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'EXCEPTION', exceptionCode: 2 });
    expect((err as ModbusError).message).toMatch(/Illegal Data Address/);
  });

  it('retries a busy (06) unit and gets its value', async () => {
    const scheduler = new BusScheduler({
      busId: client.busId,
      silentIntervalMs: silentIntervalMs(SERIAL.baudRate),
    });
    expect(
      await scheduler.submit({
        device: 'unit:8',
        priority: 'command',
        timeoutMs: 800,
        run: (d) => client.readHoldingRegisters(8, 0, 1, d),
      }),
    ).toEqual([88]);
    expect(scheduler.stats().retries).toBe(1);
    await scheduler.close();
  });

  it('ignores a reply from the wrong unit and takes the correct one that follows', async () => {
    expect(await client.readHoldingRegisters(6, 0, 2, D)).toEqual([0x1234, 0x5678]);
  });

  it('never takes a wrong-unit reply as the answer: no valid reply is a timeout', async () => {
    const err = await client
      .readHoldingRegisters(7, 0, 1, { timeoutMs: 400 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModbusError);
    expect(['TIMEOUT', 'WRONG_UNIT']).toContain((err as ModbusError).code);
    // The bus is clean afterwards.
    expect(await client.readHoldingRegisters(1, 0, 1, D)).toEqual([11]);
  });

  it('a unit that never answers times out; the others keep being served', async () => {
    const scheduler = new BusScheduler({
      busId: client.busId,
      silentIntervalMs: silentIntervalMs(SERIAL.baudRate),
      retries: 1,
      health: { offlineAfter: 2 },
    });
    const poll = (unit: number) =>
      scheduler.submit({
        device: `unit:${unit}`,
        priority: 'poll',
        timeoutMs: 600,
        run: (d) => client.readHoldingRegisters(unit, 0, 1, d),
      });
    const codes: string[] = [];
    for (let i = 0; i < 3; i++) {
      const [one, dead, two] = await Promise.allSettled([poll(1), poll(42), poll(2)]);
      expect(one).toMatchObject({ status: 'fulfilled', value: [11] });
      expect(two).toMatchObject({ status: 'fulfilled', value: [21] });
      codes.push(dead.status === 'rejected' ? (dead.reason as ModbusError).code : 'answered');
    }
    expect(codes).toEqual(['TIMEOUT', 'TIMEOUT', 'DEVICE_OFFLINE']);
    await scheduler.close();
  });

  it('broadcast (unit 0) writes reach every unit without waiting for a reply', async () => {
    await client.writeRegister(0, 0, 999, D);
    // pymodbus applies broadcasts to every unit; give it a moment on the wire.
    await new Promise((r) => setTimeout(r, 100));
    expect(await client.readHoldingRegisters(1, 0, 1, D)).toEqual([999]);
    expect(await client.readHoldingRegisters(2, 0, 1, D)).toEqual([999]);
    await expect(client.readHoldingRegisters(0, 0, 1, D)).rejects.toMatchObject({
      code: 'INVALID_REQUEST',
    });
  });

  it('reopens the port after the tty disappears and comes back', async () => {
    const links = { a: pty.linkA!, b: pty.linkB! };
    await peer.stop();
    await pty.stop();
    // A request already on its way when the hang-up lands may time out; once the close is seen,
    // requests report the lost port (or, reopening, that it is gone).
    const codes: string[] = [];
    for (let i = 0; i < 5; i++) {
      const down = await client
        .readHoldingRegisters(1, 0, 1, { timeoutMs: 500 })
        .catch((e: unknown) => e);
      expect(down).toBeInstanceOf(ModbusError);
      codes.push((down as ModbusError).code);
      if (codes.at(-1) !== 'TIMEOUT') break;
    }
    expect(['DISCONNECTED', 'PORT_NOT_FOUND']).toContain(codes.at(-1));

    pty = await startPtyPair(links);
    peer = await startRtuPeer(seed, pty.linkA!, SERIAL.baudRate);
    let value: number[] | undefined;
    for (let attempt = 0; attempt < 10 && !value; attempt++) {
      value = await client.readHoldingRegisters(2, 2, 1, D).catch(() => undefined);
    }
    expect(value).toEqual([23]);
  });
});
