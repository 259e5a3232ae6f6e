import { connect, type Socket } from 'node:net';
import ModbusSerial from 'modbus-serial';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createSimDevice,
  EnergyMeterSim,
  startSimulatedModbusTcpServer,
  StreetlightSim,
  type RegisterBankDevice,
  type SimulatedModbusTcpServer,
} from '@fleet/devsim';
import {
  decodePoint,
  loadProfileCatalog,
  pollPlanInput,
  resolveCommand,
  type DeviceProfile,
  type PointDefinition,
  type PointValue,
} from '@fleet/profiles';

const ModbusRTU = ModbusSerial.default;
type Client = InstanceType<typeof ModbusRTU>;

/** The error shape modbus-serial rejects with. */
interface LibraryError {
  modbusCode?: number;
  errno?: string;
  name?: string;
  message: string;
}

async function failure(p: Promise<unknown>): Promise<LibraryError> {
  try {
    await p;
  } catch (e) {
    return e as LibraryError;
  }
  throw new Error('expected the request to fail');
}

describe('simulated devices over real Modbus TCP, read with modbus-serial', () => {
  let now = Date.UTC(2026, 0, 15, 22, 0, 0);
  const clock = (): number => now;
  let sdm630: DeviceProfile;
  let light: DeviceProfile;
  let meter: EnergyMeterSim;
  let lamp: StreetlightSim;
  let server: SimulatedModbusTcpServer;
  let client: Client;

  beforeAll(async () => {
    const catalog = await loadProfileCatalog();
    sdm630 = catalog.get('eastron-sdm630');
    light = catalog.get('streetlight-controller');
    meter = new EnergyMeterSim(sdm630, { clock, seed: 11, initialImportKwh: 12345 });
    lamp = new StreetlightSim(light, { clock, ratedPowerW: 80 });
    const sdm120: RegisterBankDevice = createSimDevice(catalog.get('eastron-sdm120'), {
      clock,
      seed: 12,
    });
    server = await startSimulatedModbusTcpServer({
      devices: new Map<number, RegisterBankDevice>([
        [1, meter],
        [2, lamp],
        [3, sdm120],
      ]),
    });
    client = new ModbusRTU();
    await client.connectTCP('127.0.0.1', { port: server.port });
    client.setTimeout(500);
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => {
      if (client?.isOpen)
        client.close(() => {
          resolve();
        });
      else resolve();
    });
    await server?.close();
  });

  /** Reads every point of a poll group the way a planner would: contiguous spans, one request each. */
  async function readPoints(
    unit: number,
    points: readonly PointDefinition[],
  ): Promise<Record<string, PointValue>> {
    client.setID(unit);
    const out: Record<string, PointValue> = {};
    for (const p of points) {
      if (p.address === undefined) continue;
      const data =
        p.table === 'input'
          ? (await client.readInputRegisters(p.address, p.count)).data
          : p.table === 'holding'
            ? (await client.readHoldingRegisters(p.address, p.count)).data
            : p.table === 'coil'
              ? (await client.readCoils(p.address, 1)).data.slice(0, 1)
              : (await client.readDiscreteInputs(p.address, 1)).data.slice(0, 1);
      out[p.name] = decodePoint(p, data);
    }
    return out;
  }

  it('serves an SDM630 block read (FC04, 80 registers) that decodes to plausible readings', async () => {
    client.setID(1);
    const { data } = await client.readInputRegisters(0x0000, 80);
    expect(data).toHaveLength(80);
    const at = (name: string): PointValue => {
      const p = sdm630.points.find((x) => x.name === name);
      if (!p || p.address === undefined) throw new Error(name);
      return decodePoint(p, data.slice(p.address, p.address + p.count));
    };
    for (const ph of [1, 2, 3]) {
      expect(at(`voltage_l${ph}`) as number).toBeGreaterThan(225);
      expect(at(`voltage_l${ph}`) as number).toBeLessThan(235);
    }
    expect(at('frequency') as number).toBeGreaterThan(49.94);
    expect(at('frequency') as number).toBeLessThan(50.06);
    expect(at('total_power') as number).toBeGreaterThan(2800); // street lighting on at 22:00
    expect(at('import_energy') as number).toBeCloseTo(12345, 0);
  });

  it('decodes every readable point of every poll group exactly as the device holds it', async () => {
    for (const group of pollPlanInput(sdm630)) {
      const readings = await readPoints(1, group.points);
      for (const p of group.points)
        expect(readings[p.name], p.name).toEqual(meter.bank.get(p.name));
    }
    const settings = await readPoints(
      1,
      sdm630.points.filter((p) => p.pollGroup === 'settings'),
    );
    expect(settings).toMatchObject({
      demand_period: 60,
      baud_rate: '9600',
      network_parity_stop: 'none_1_stop',
    });
  });

  it('lets energy grow as simulated time passes', async () => {
    const importEnergy = sdm630.points.filter((p) => p.name === 'import_energy');
    const before = (await readPoints(1, importEnergy)).import_energy as number;
    now += 3_600_000;
    const after = (await readPoints(1, importEnergy)).import_energy as number;
    expect(after - before).toBeGreaterThan(2.9); // ~3.15 kWh at night
    expect(after - before).toBeLessThan(3.4);
  });

  it('runs profile commands over the wire: switch on and dim a streetlight (FC05/FC06) and verify', async () => {
    client.setID(2);
    for (const [command, params] of [
      ['switchOn', {}],
      ['setDim', { level: 40 }],
    ] as const) {
      for (const op of resolveCommand(light, command, params)) {
        if (op.kind !== 'modbus-write') throw new Error(`unexpected ${op.kind}`);
        if (op.table === 'coil')
          await client.writeCoil(op.address, (op.values as boolean[])[0] ?? false);
        else await client.writeRegister(op.address, (op.values as number[])[0] ?? 0);
        if (op.verify) {
          const p = light.points.find((x) => x.name === op.verify?.point);
          if (!p) throw new Error('verify point');
          const [value] = Object.values(await readPoints(2, [p]));
          expect(Math.abs(Number(value) - Number(op.verify.expected))).toBeLessThanOrEqual(
            op.verify.tolerance,
          );
        }
      }
    }
    const status = await readPoints(
      2,
      light.points.filter((p) => ['lamp_on', 'dim_level', 'power'].includes(p.name)),
    );
    expect(status.lamp_on).toBe(true);
    expect(status.dim_level).toBe(40);
    expect(status.power as number).toBeGreaterThan(30);
    expect(status.power as number).toBeLessThan(34);
    expect(lamp.lit).toBe(true);
  });

  it('answers illegal addresses with exception 02, unknown units with 0B, bad values with 03', async () => {
    client.setID(1);
    expect((await failure(client.readInputRegisters(0x0001, 2))).modbusCode).toBe(2);
    expect((await failure(client.readInputRegisters(0x0000, 82))).modbusCode).toBe(3); // the meter's 80 cap
    client.setID(9);
    expect((await failure(client.readInputRegisters(0x0000, 2))).modbusCode).toBe(0x0b);
    client.setID(2);
    expect((await failure(client.writeRegister(0, 140))).modbusCode).toBe(3); // dim_level max 100
  });

  it('injects faults per device: silence (timeout), an exception code, garbage', async () => {
    client.setID(3);
    meter.faults.inject({ kind: 'timeout' }, 1);
    // The fault is on unit 1; unit 3 is unaffected.
    expect((await client.readInputRegisters(0x0000, 2)).data).toHaveLength(2);

    client.setID(1);
    const timedOut = await failure(client.readInputRegisters(0x0000, 2));
    expect(`${timedOut.name ?? ''} ${timedOut.errno ?? ''} ${timedOut.message}`).toMatch(
      /timed out|ETIMEDOUT/i,
    );

    meter.faults.inject({ kind: 'exception', code: 6 }, 1);
    expect((await failure(client.readInputRegisters(0x0000, 2))).modbusCode).toBe(6);

    meter.faults.inject({ kind: 'garbage' }, 1);
    const garbled = await failure(client.readInputRegisters(0x0000, 2));
    expect(garbled.message.length).toBeGreaterThan(0);

    // Once the fault is used up the meter answers again.
    expect((await client.readInputRegisters(0x0046, 2)).data).toHaveLength(2);
  });
});

describe('simulated Modbus TCP server, raw frames', () => {
  let server: SimulatedModbusTcpServer;
  let sock: Socket;

  beforeAll(async () => {
    const catalog = await loadProfileCatalog();
    const meter = createSimDevice(catalog.get('eastron-sdm630'), { clock: () => 0 });
    server = await startSimulatedModbusTcpServer({
      devices: new Map([[1, meter]]),
      unknownUnit: 'ignore',
    });
  });

  afterAll(async () => {
    sock?.destroy();
    await server?.close();
  });

  const open = (): Promise<Socket> =>
    new Promise((resolve, reject) => {
      const s = connect(server.port, '127.0.0.1', () => {
        resolve(s);
      });
      s.once('error', reject);
    });

  const exchange = (
    s: Socket,
    frame: number[],
    waitMs = 300,
  ): Promise<Buffer | 'closed' | 'silent'> =>
    new Promise((resolve) => {
      const timer = setTimeout(() => {
        cleanup();
        resolve('silent');
      }, waitMs);
      const onData = (d: Buffer): void => {
        cleanup();
        resolve(d);
      };
      const onClose = (): void => {
        cleanup();
        resolve('closed');
      };
      const cleanup = (): void => {
        clearTimeout(timer);
        s.off('data', onData);
        s.off('close', onClose);
      };
      s.on('data', onData);
      s.on('close', onClose);
      s.write(Buffer.from(frame));
    });

  it('rejects a 126-register read with exception 03 even when a client does not check', async () => {
    sock = await open();
    const reply = await exchange(sock, [0x00, 0x07, 0, 0, 0, 6, 1, 0x04, 0x00, 0x00, 0x00, 126]);
    expect(reply).toEqual(Buffer.from([0x00, 0x07, 0, 0, 0, 3, 1, 0x84, 0x03]));
  });

  it('answers an unsupported function code with exception 01', async () => {
    const reply = await exchange(sock, [0x00, 0x08, 0, 0, 0, 2, 1, 0x2b]);
    expect(reply).toEqual(Buffer.from([0x00, 0x08, 0, 0, 0, 3, 1, 0xab, 0x01]));
  });

  it('stays silent for unknown units when configured as a plain device', async () => {
    expect(await exchange(sock, [0x00, 0x09, 0, 0, 0, 6, 5, 0x04, 0x00, 0x00, 0x00, 2])).toBe(
      'silent',
    );
  });

  it('drops connections that do not speak Modbus TCP', async () => {
    expect(await exchange(sock, [0x47, 0x45, 0x54, 0x20, 0x2f, 0x20, 0x48, 0x54, 0x54, 0x50])).toBe(
      'closed',
    );
  });
});
