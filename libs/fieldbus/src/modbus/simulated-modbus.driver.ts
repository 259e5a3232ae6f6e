import { MODBUS_LIMITS, type ModbusClient, type ReadTable } from './modbus-client.port.js';
import { ModbusError } from './modbus-error.js';
import { checkRegisterValue, checkRequest } from './modbus-request-check.js';
import { type Deadline, sleep, withDeadline } from '../util/deadline.js';

/** A fault the simulated device injects into its next replies. */
export type SimulatedFault =
  | { kind: 'timeout' }
  | { kind: 'exception'; code: number }
  | { kind: 'garbage' }
  | { kind: 'wrong-unit' };

export interface SimulatedFaultRule {
  fault: SimulatedFault;
  /** Only for these function codes (default: all). */
  fcs?: readonly number[];
  /** Inject this many times, then stop (default: until cleared). */
  times?: number;
}

export interface SimulatedUnitSeed {
  coil?: Readonly<Record<number, boolean>>;
  discrete?: Readonly<Record<number, boolean>>;
  holding?: Readonly<Record<number, number>>;
  input?: Readonly<Record<number, number>>;
}

interface UnitBanks {
  coil: Map<number, boolean>;
  discrete: Map<number, boolean>;
  holding: Map<number, number>;
  input: Map<number, number>;
  faults: SimulatedFaultRule[];
  latencyMs: number;
}

/**
 * In-memory Modbus devices behind one simulated bus. Unmapped addresses answer exception 02
 * like real devices do; faults are injected per unit. It also records how many transactions were
 * in flight at once, so tests can prove the caller serialized the bus.
 */
export class SimulatedModbusClient implements ModbusClient {
  readonly serial: boolean;
  readonly baudRate?: number;
  private readonly units = new Map<number, UnitBanks>();
  private connected = false;
  private inFlight = 0;
  /** Highest number of concurrent transactions seen. */
  maxInFlight = 0;
  /** Every transaction attempted, in order (unit id and function code). */
  readonly log: { unitId: number; fc: number; address: number; count: number }[] = [];

  constructor(
    readonly busId = 'sim:bus',
    opts: { serial?: boolean; baudRate?: number; defaultLatencyMs?: number } = {},
  ) {
    this.serial = opts.serial ?? true;
    if (opts.baudRate !== undefined) this.baudRate = opts.baudRate;
    this.defaultLatencyMs = opts.defaultLatencyMs ?? 0;
  }

  private readonly defaultLatencyMs: number;

  /** Adds (or replaces) a unit with sparse register banks. */
  addUnit(unitId: number, seed: SimulatedUnitSeed = {}, latencyMs = this.defaultLatencyMs): this {
    const toMap = <V>(rec: Readonly<Record<number, V>> | undefined): Map<number, V> =>
      new Map(Object.entries(rec ?? {}).map(([k, v]) => [Number(k), v]));
    this.units.set(unitId, {
      coil: toMap(seed.coil),
      discrete: toMap(seed.discrete),
      holding: toMap(seed.holding),
      input: toMap(seed.input),
      faults: [],
      latencyMs,
    });
    return this;
  }

  /** Maps a contiguous range of registers (all zero) so reads across it succeed. */
  mapRange(unitId: number, table: ReadTable, address: number, count: number): this {
    const unit = this.unit(unitId);
    for (let a = address; a < address + count; a++) {
      if (table === 'coil' || table === 'discrete') {
        if (!unit[table].has(a)) unit[table].set(a, false);
      } else if (!unit[table].has(a)) unit[table].set(a, 0);
    }
    return this;
  }

  setRegister(unitId: number, table: 'holding' | 'input', address: number, value: number): void {
    this.unit(unitId)[table].set(address, value);
  }

  setBit(unitId: number, table: 'coil' | 'discrete', address: number, value: boolean): void {
    this.unit(unitId)[table].set(address, value);
  }

  getRegister(unitId: number, table: 'holding' | 'input', address: number): number | undefined {
    return this.unit(unitId)[table].get(address);
  }

  getBit(unitId: number, table: 'coil' | 'discrete', address: number): boolean | undefined {
    return this.unit(unitId)[table].get(address);
  }

  setLatency(unitId: number, ms: number): void {
    this.unit(unitId).latencyMs = ms;
  }

  injectFault(unitId: number, rule: SimulatedFaultRule): void {
    this.unit(unitId).faults.push({ ...rule });
  }

  clearFaults(unitId: number): void {
    this.unit(unitId).faults = [];
  }

  connect(_deadline: Deadline): Promise<void> {
    this.connected = true;
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.connected = false;
    return Promise.resolve();
  }

  readCoils(
    unitId: number,
    address: number,
    count: number,
    deadline: Deadline,
  ): Promise<boolean[]> {
    return this.readBits(1, 'coil', unitId, address, count, deadline);
  }

  readDiscreteInputs(
    unitId: number,
    address: number,
    count: number,
    deadline: Deadline,
  ): Promise<boolean[]> {
    return this.readBits(2, 'discrete', unitId, address, count, deadline);
  }

  readHoldingRegisters(
    unitId: number,
    address: number,
    count: number,
    deadline: Deadline,
  ): Promise<number[]> {
    return this.readWords(3, 'holding', unitId, address, count, deadline);
  }

  readInputRegisters(
    unitId: number,
    address: number,
    count: number,
    deadline: Deadline,
  ): Promise<number[]> {
    return this.readWords(4, 'input', unitId, address, count, deadline);
  }

  async writeCoil(
    unitId: number,
    address: number,
    value: boolean,
    deadline: Deadline,
  ): Promise<void> {
    checkRequest('write coil', unitId, address, 1, 1, { write: true, serial: this.serial });
    await this.transact(5, unitId, address, 1, deadline, (u) => {
      this.requireMapped(u.coil, address, 1, 5);
      u.coil.set(address, value);
    });
  }

  async writeCoils(
    unitId: number,
    address: number,
    values: readonly boolean[],
    deadline: Deadline,
  ): Promise<void> {
    checkRequest('write coils', unitId, address, values.length, MODBUS_LIMITS.maxWriteCoils, {
      write: true,
      serial: this.serial,
    });
    await this.transact(15, unitId, address, values.length, deadline, (u) => {
      this.requireMapped(u.coil, address, values.length, 15);
      values.forEach((v, i) => u.coil.set(address + i, v));
    });
  }

  async writeRegister(
    unitId: number,
    address: number,
    value: number,
    deadline: Deadline,
  ): Promise<void> {
    checkRequest('write register', unitId, address, 1, 1, { write: true, serial: this.serial });
    checkRegisterValue('write register', value);
    await this.transact(6, unitId, address, 1, deadline, (u) => {
      this.requireMapped(u.holding, address, 1, 6);
      u.holding.set(address, value);
    });
  }

  async writeRegisters(
    unitId: number,
    address: number,
    values: readonly number[],
    deadline: Deadline,
  ): Promise<void> {
    checkRequest(
      'write registers',
      unitId,
      address,
      values.length,
      MODBUS_LIMITS.maxWriteRegisters,
      {
        write: true,
        serial: this.serial,
      },
    );
    values.forEach((v) => {
      checkRegisterValue('write registers', v);
    });
    await this.transact(16, unitId, address, values.length, deadline, (u) => {
      this.requireMapped(u.holding, address, values.length, 16);
      values.forEach((v, i) => u.holding.set(address + i, v));
    });
  }

  private async readBits(
    fc: 1 | 2,
    table: 'coil' | 'discrete',
    unitId: number,
    address: number,
    count: number,
    deadline: Deadline,
  ): Promise<boolean[]> {
    checkRequest(`FC${fc}`, unitId, address, count, MODBUS_LIMITS.maxReadBits, {
      write: false,
      serial: this.serial,
    });
    return this.transact(fc, unitId, address, count, deadline, (u) => {
      this.requireMapped(u[table], address, count, fc);
      return Array.from({ length: count }, (_, i) => u[table].get(address + i) ?? false);
    });
  }

  private async readWords(
    fc: 3 | 4,
    table: 'holding' | 'input',
    unitId: number,
    address: number,
    count: number,
    deadline: Deadline,
  ): Promise<number[]> {
    checkRequest(`FC${fc}`, unitId, address, count, MODBUS_LIMITS.maxReadRegisters, {
      write: false,
      serial: this.serial,
    });
    return this.transact(fc, unitId, address, count, deadline, (u) => {
      this.requireMapped(u[table], address, count, fc);
      return Array.from({ length: count }, (_, i) => u[table].get(address + i) ?? 0);
    });
  }

  private requireMapped(
    bank: Map<number, unknown>,
    address: number,
    count: number,
    fc: number,
  ): void {
    for (let a = address; a < address + count; a++) {
      if (!bank.has(a)) throw ModbusError.exception(2, `FC${fc} @${address}+${count}`);
    }
  }

  private async transact<T>(
    fc: number,
    unitId: number,
    address: number,
    count: number,
    deadline: Deadline,
    apply: (unit: UnitBanks) => T,
  ): Promise<T> {
    if (!this.connected) throw new ModbusError('DISCONNECTED', `${this.busId}: not connected`);
    this.log.push({ unitId, fc, address, count });
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      if (this.serial && unitId === 0) {
        // Broadcast: every unit applies the write, nobody replies.
        for (const unit of this.units.values()) {
          try {
            apply(unit);
          } catch {
            // A unit that does not map the address ignores a broadcast silently.
          }
        }
        return undefined as T;
      }
      const what = `unit ${unitId} FC${fc} @${address}+${count}`;
      return await withDeadline(deadline, what, async (signal) => {
        const unit = this.units.get(unitId);
        const fault = unit ? this.takeFault(unit, fc) : { kind: 'timeout' as const };
        if (!unit || fault?.kind === 'timeout' || fault?.kind === 'wrong-unit') {
          // No reply (or only a reply from another unit, which a master must ignore): wait out the deadline.
          await new Promise<void>((resolve) => {
            signal.addEventListener(
              'abort',
              () => {
                resolve();
              },
              { once: true },
            );
          });
          throw new ModbusError('TIMEOUT', `${what}: no reply`);
        }
        if (unit.latencyMs > 0) await sleep(unit.latencyMs, signal);
        if (fault?.kind === 'exception') throw ModbusError.exception(fault.code, what);
        if (fault?.kind === 'garbage') throw new ModbusError('CRC', `${what}: CRC error in reply`);
        return apply(unit);
      });
    } finally {
      this.inFlight--;
    }
  }

  private takeFault(unit: UnitBanks, fc: number): SimulatedFault | undefined {
    const idx = unit.faults.findIndex((r) => !r.fcs || r.fcs.includes(fc));
    if (idx < 0) return undefined;
    const rule = unit.faults[idx];
    if (rule.times !== undefined) {
      rule.times--;
      if (rule.times <= 0) unit.faults.splice(idx, 1);
    }
    return rule.fault;
  }

  private unit(unitId: number): UnitBanks {
    const unit = this.units.get(unitId);
    if (!unit) throw new Error(`simulated bus ${this.busId}: unit ${unitId} not added`);
    return unit;
  }
}
