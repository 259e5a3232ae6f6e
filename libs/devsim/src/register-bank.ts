import {
  decodePoint,
  encodePoint,
  MODBUS_LIMITS,
  type DeviceProfile,
  type PointDefinition,
  type PointValue,
  type RegisterTable,
} from '@fleet/profiles';
import { MODBUS_EXCEPTION, SimModbusException } from './sim-modbus-exception.js';

export type WriteHandler = (value: PointValue, point: PointDefinition) => void;

const BIT_TABLES: ReadonlySet<RegisterTable> = new Set(['coil', 'discrete']);

/**
 * The registers and bits of one simulated Modbus device, laid out by its profile. Reads must start
 * on a value's first register and end on a value's last one (holes in between read as 0, as on
 * Eastron meters); writes must land on a writable point's write address. Anything else answers
 * exception 02, a request above the device's read limit 03.
 */
export class RegisterBank {
  private readonly words = new Map<RegisterTable, Map<number, number>>();
  private readonly bits = new Map<RegisterTable, Map<number, boolean>>();
  /** First and last register of every readable point, per table. */
  private readonly starts = new Map<RegisterTable, Set<number>>();
  private readonly ends = new Map<RegisterTable, Set<number>>();
  private readonly writable = new Map<number | string, PointDefinition>();
  private readonly handlers = new Map<string, WriteHandler>();
  private readonly points: ReadonlyMap<string, PointDefinition>;
  private readonly maxRegisters: number;
  private readonly maxCoils: number;

  constructor(readonly profile: DeviceProfile) {
    this.points = new Map(profile.points.map((p) => [p.name, p]));
    const modbus = profile.transports.find(
      (t) => t.kind === 'modbus-rtu' || t.kind === 'modbus-tcp',
    );
    this.maxRegisters =
      modbus?.kind === 'modbus-rtu' || modbus?.kind === 'modbus-tcp'
        ? modbus.maxRegistersPerRead
        : MODBUS_LIMITS.maxRegistersPerRead;
    this.maxCoils =
      modbus?.kind === 'modbus-rtu' || modbus?.kind === 'modbus-tcp'
        ? modbus.maxCoilsPerRead
        : MODBUS_LIMITS.maxCoilsPerRead;
    for (const t of ['coil', 'discrete', 'input', 'holding'] as const) {
      this.words.set(t, new Map());
      this.bits.set(t, new Map());
      this.starts.set(t, new Set());
      this.ends.set(t, new Set());
    }
    for (const p of profile.points) {
      if (p.table === undefined) continue;
      if (p.address !== undefined) {
        this.starts.get(p.table)?.add(p.address);
        this.ends.get(p.table)?.add(p.address + p.count - 1);
      }
      const w = p.writeAddress ?? p.address;
      if (p.access !== 'r' && w !== undefined) this.writable.set(`${p.table}:${w}`, p);
    }
  }

  point(name: string): PointDefinition {
    const p = this.points.get(name);
    if (!p) throw new Error(`${this.profile.id} has no point "${name}"`);
    return p;
  }

  /** Stores a point's engineering value at its read address (what the device reports). */
  set(name: string, value: PointValue): void {
    const p = this.point(name);
    if (p.table === undefined || p.address === undefined)
      throw new Error(`point "${name}" has no read address`);
    const encoded = encodePoint({ ...p, min: undefined, max: undefined }, value);
    this.store(p.table, p.address, encoded);
  }

  /** The value a read of the point returns now. */
  get(name: string): PointValue {
    const p = this.point(name);
    if (p.table === undefined || p.address === undefined)
      throw new Error(`point "${name}" has no read address`);
    const data = BIT_TABLES.has(p.table)
      ? [this.bits.get(p.table)?.get(p.address) ?? false]
      : Array.from(
          { length: p.count },
          (_, k) => this.words.get(p.table ?? 'holding')?.get((p.address ?? 0) + k) ?? 0,
        );
    return decodePoint(p, data);
  }

  /** Called with the decoded value when a client writes the point (instead of echoing it). */
  onWrite(name: string, handler: WriteHandler): void {
    this.point(name);
    this.handlers.set(name, handler);
  }

  readRegisters(table: 'input' | 'holding', address: number, count: number): number[] {
    this.checkRead(table, address, count, this.maxRegisters);
    const t = this.words.get(table);
    return Array.from({ length: count }, (_, k) => t?.get(address + k) ?? 0);
  }

  readBits(table: 'coil' | 'discrete', address: number, count: number): boolean[] {
    this.checkRead(table, address, count, this.maxCoils);
    const t = this.bits.get(table);
    return Array.from({ length: count }, (_, k) => t?.get(address + k) ?? false);
  }

  writeRegisters(address: number, values: readonly number[]): void {
    this.write('holding', address, values);
  }

  writeCoils(address: number, values: readonly boolean[]): void {
    this.write('coil', address, values);
  }

  private checkRead(table: RegisterTable, address: number, count: number, max: number): void {
    if (count < 1 || count > max) {
      throw new SimModbusException(
        MODBUS_EXCEPTION.illegalDataValue,
        `${table} read of ${count} exceeds ${max}`,
      );
    }
    // Like many meters: a read must start where a value starts and end where one ends.
    if (!this.starts.get(table)?.has(address) || !this.ends.get(table)?.has(address + count - 1)) {
      throw new SimModbusException(
        MODBUS_EXCEPTION.illegalDataAddress,
        `${table} ${address}..${address + count - 1} does not start and end on mapped values`,
      );
    }
  }

  private store(
    table: RegisterTable,
    address: number,
    values: readonly (number | boolean)[],
  ): void {
    values.forEach((v, k) => {
      if (typeof v === 'boolean') this.bits.get(table)?.set(address + k, v);
      else this.words.get(table)?.set(address + k, v);
    });
  }

  private write(
    table: 'holding' | 'coil',
    address: number,
    values: readonly (number | boolean)[],
  ): void {
    let k = 0;
    while (k < values.length) {
      const p = this.writable.get(`${table}:${address + k}`);
      if (!p || k + p.count > values.length) {
        throw new SimModbusException(
          MODBUS_EXCEPTION.illegalDataAddress,
          `${table} ${address + k} is not a writable point (or the write splits one)`,
        );
      }
      const chunk = values.slice(k, k + p.count);
      const value = decodePoint(p, chunk as number[] | boolean[]);
      if (
        typeof value === 'number' &&
        ((p.min !== undefined && value < p.min) || (p.max !== undefined && value > p.max))
      ) {
        throw new SimModbusException(
          MODBUS_EXCEPTION.illegalDataValue,
          `${p.name}: ${value} outside ${p.min ?? ''}..${p.max ?? ''}`,
        );
      }
      const handler = this.handlers.get(p.name);
      if (handler) handler(value, p);
      else if (p.address !== undefined) this.store(table, p.address, chunk);
      k += p.count;
    }
  }
}
