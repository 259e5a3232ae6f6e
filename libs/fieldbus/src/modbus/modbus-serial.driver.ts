import ModbusSerial from 'modbus-serial';
import { MODBUS_LIMITS, type ModbusClient } from './modbus-client.port.js';
import { ModbusError } from './modbus-error.js';
import { checkRegisterValue, checkRequest } from './modbus-request-check.js';
import { mapModbusSerialError } from './modbus-serial-error.js';
import { type Deadline, sleep, withDeadline } from '../util/deadline.js';

type Callback<T> = (err: unknown, data: T) => void;
// CJS module: its exports object carries the class as `default` too (works under Node ESM and Vitest).
const ModbusRTU = ModbusSerial.default;
export type ModbusSerialLibraryClient = InstanceType<typeof ModbusSerial.default>;
type Client = ModbusSerialLibraryClient;

/**
 * Shared body of the modbus-serial drivers. One transaction slot (the library has one for serial
 * lines): callers serialize through a BusScheduler. The unit id is passed per request to the
 * library's writeFCx calls instead of the global setID(). The library's own timeout defaults to
 * null (wait forever), so it is always set; our deadline stays authoritative.
 * On any connection loss the library instance is dropped and a fresh one made on the next call,
 * because a reopened instance keeps failing (node-modbus-serial#240).
 */
export abstract class ModbusSerialLibraryDriver implements ModbusClient {
  abstract readonly busId: string;
  abstract readonly serial: boolean;
  readonly baudRate?: number;
  private client: Client | undefined;
  private connecting: Promise<Client> | undefined;
  private readonly pending = new Set<(err: ModbusError) => void>();

  protected abstract open(client: Client): Promise<void>;

  /**
   * RTU only: a frame rejected by the library (wrong unit, bad CRC, wrong length) is ignored and
   * the response timer keeps running (Modbus serial line spec §2.4.1).
   */
  protected abstract readonly ignoreBadFrames: boolean;

  /** Before each request; RTU clears stale bytes left in the receive buffer. */
  protected beforeRequest(_client: Client): void {}

  async connect(deadline: Deadline): Promise<void> {
    await this.ensureClient(deadline);
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.failPending(new ModbusError('DISCONNECTED', `${this.busId}: closed`));
    if (!client) return;
    // close() never calls back when the port is already closed (node-modbus-serial#267): bound it.
    await withDeadline(
      { timeoutMs: 1000 },
      `${this.busId} close`,
      () =>
        new Promise<void>((resolve) => {
          client.close(() => {
            resolve();
          });
        }),
    ).catch(() => undefined);
  }

  async readCoils(
    unitId: number,
    address: number,
    count: number,
    deadline: Deadline,
  ): Promise<boolean[]> {
    checkRequest('FC01', unitId, address, count, MODBUS_LIMITS.maxReadBits, {
      write: false,
      serial: this.serial,
    });
    return this.request<{ data: boolean[] }>(
      `unit ${unitId} FC01 @${address}+${count}`,
      unitId,
      deadline,
      (c, cb) => {
        c.writeFC1(unitId, address, count, cb);
      },
    ).then((r) => this.exactly(r.data, count, 'bits'));
  }

  async readDiscreteInputs(
    unitId: number,
    address: number,
    count: number,
    deadline: Deadline,
  ): Promise<boolean[]> {
    checkRequest('FC02', unitId, address, count, MODBUS_LIMITS.maxReadBits, {
      write: false,
      serial: this.serial,
    });
    return this.request<{ data: boolean[] }>(
      `unit ${unitId} FC02 @${address}+${count}`,
      unitId,
      deadline,
      (c, cb) => {
        c.writeFC2(unitId, address, count, cb);
      },
    ).then((r) => this.exactly(r.data, count, 'bits'));
  }

  async readHoldingRegisters(
    unitId: number,
    address: number,
    count: number,
    deadline: Deadline,
  ): Promise<number[]> {
    checkRequest('FC03', unitId, address, count, MODBUS_LIMITS.maxReadRegisters, {
      write: false,
      serial: this.serial,
    });
    return this.request<{ data: number[] }>(
      `unit ${unitId} FC03 @${address}+${count}`,
      unitId,
      deadline,
      (c, cb) => {
        c.writeFC3(unitId, address, count, cb);
      },
    ).then((r) => this.exactly(r.data, count, 'registers'));
  }

  async readInputRegisters(
    unitId: number,
    address: number,
    count: number,
    deadline: Deadline,
  ): Promise<number[]> {
    checkRequest('FC04', unitId, address, count, MODBUS_LIMITS.maxReadRegisters, {
      write: false,
      serial: this.serial,
    });
    return this.request<{ data: number[] }>(
      `unit ${unitId} FC04 @${address}+${count}`,
      unitId,
      deadline,
      (c, cb) => {
        c.writeFC4(unitId, address, count, cb);
      },
    ).then((r) => this.exactly(r.data, count, 'registers'));
  }

  async writeCoil(
    unitId: number,
    address: number,
    value: boolean,
    deadline: Deadline,
  ): Promise<void> {
    checkRequest('FC05', unitId, address, 1, 1, { write: true, serial: this.serial });
    await this.request(`unit ${unitId} FC05 @${address}`, unitId, deadline, (c, cb) => {
      c.writeFC5(unitId, address, value, cb);
    });
  }

  async writeCoils(
    unitId: number,
    address: number,
    values: readonly boolean[],
    deadline: Deadline,
  ): Promise<void> {
    checkRequest('FC15', unitId, address, values.length, MODBUS_LIMITS.maxWriteCoils, {
      write: true,
      serial: this.serial,
    });
    await this.request(
      `unit ${unitId} FC15 @${address}+${values.length}`,
      unitId,
      deadline,
      (c, cb) => {
        c.writeFC15(unitId, address, [...values], cb);
      },
    );
  }

  async writeRegister(
    unitId: number,
    address: number,
    value: number,
    deadline: Deadline,
  ): Promise<void> {
    checkRequest('FC06', unitId, address, 1, 1, { write: true, serial: this.serial });
    checkRegisterValue('FC06', value);
    await this.request(`unit ${unitId} FC06 @${address}`, unitId, deadline, (c, cb) => {
      c.writeFC6(unitId, address, value, cb);
    });
  }

  async writeRegisters(
    unitId: number,
    address: number,
    values: readonly number[],
    deadline: Deadline,
  ): Promise<void> {
    checkRequest('FC16', unitId, address, values.length, MODBUS_LIMITS.maxWriteRegisters, {
      write: true,
      serial: this.serial,
    });
    values.forEach((v) => {
      checkRegisterValue('FC16', v);
    });
    await this.request(
      `unit ${unitId} FC16 @${address}+${values.length}`,
      unitId,
      deadline,
      (c, cb) => {
        c.writeFC16(unitId, address, [...values], cb);
      },
    );
  }

  /**
   * The library reads as many values as the reply's byte count says, even when that disagrees
   * with the request (it then returns the CRC as a register): such a reply is malformed.
   * Bits come in whole bytes, so up to 7 padding bits are dropped.
   */
  private exactly<T>(values: T[], count: number, unit: 'bits' | 'registers'): T[] {
    const expected = unit === 'bits' ? Math.ceil(count / 8) * 8 : count;
    if (values.length !== expected) {
      throw new ModbusError(
        'BAD_FRAME',
        `${this.busId}: malformed reply (${values.length} ${unit} for ${count} requested)`,
      );
    }
    return values.slice(0, count);
  }

  /** How long a serial broadcast takes before the bus is usable again (no reply to wait for). */
  protected broadcastTurnaroundMs(): number {
    return 100;
  }

  private async ensureClient(deadline: Deadline): Promise<Client> {
    if (this.client?.isOpen) return this.client;
    if (!this.connecting) {
      const client = new ModbusRTU();
      this.connecting = withDeadline(
        deadline,
        `${this.busId} connect`,
        async () => {
          await this.open(client);
          return client;
        },
        () =>
          new ModbusError(
            'CONNECT_FAILED',
            `${this.busId}: connect timed out after ${deadline.timeoutMs} ms`,
          ),
      )
        .then((c) => {
          c.on('close', () => {
            if (this.client !== c) return;
            this.client = undefined;
            this.failPending(new ModbusError('DISCONNECTED', `${this.busId}: connection lost`));
          });
          c.on('error', () => {
            // Surfaced through the failing request or the close event.
          });
          this.client = c;
          return c;
        })
        .catch((err: unknown) => {
          client.close(() => undefined);
          throw mapModbusSerialError(err, `${this.busId} connect`);
        })
        .finally(() => {
          this.connecting = undefined;
        });
    }
    return this.connecting;
  }

  private failPending(err: ModbusError): void {
    for (const reject of [...this.pending]) reject(err);
    this.pending.clear();
  }

  private async request<T>(
    what: string,
    unitId: number,
    deadline: Deadline,
    send: (client: Client, cb: Callback<T>) => void,
  ): Promise<T> {
    const started = Date.now();
    const client = await this.ensureClient(deadline);
    const remaining: Deadline = {
      ...deadline,
      timeoutMs: Math.max(1, deadline.timeoutMs - (Date.now() - started)),
    };
    // The library's own timer is a backstop that releases its transaction slot; ours decides.
    client.setTimeout(remaining.timeoutMs + 1000);
    this.beforeRequest(client);
    const context = `${this.busId} ${what}`;
    if (this.serial && unitId === 0) {
      send(client, () => undefined);
      await sleep(this.broadcastTurnaroundMs(), deadline.signal);
      return undefined as T;
    }
    let discarded: ModbusError | undefined;
    return withDeadline(
      remaining,
      context,
      () =>
        new Promise<T>((resolve, reject) => {
          const fail = (e: ModbusError): void => {
            this.pending.delete(fail);
            reject(e);
          };
          this.pending.add(fail);
          send(client, (err, data) => {
            if (!err) {
              this.pending.delete(fail);
              resolve(data);
              return;
            }
            const mapped = mapModbusSerialError(err, context);
            if (
              this.ignoreBadFrames &&
              (mapped.code === 'WRONG_UNIT' || mapped.code === 'CRC' || mapped.code === 'BAD_FRAME')
            ) {
              discarded = mapped;
              return;
            }
            fail(mapped);
          });
        }),
      () =>
        discarded
          ? new ModbusError(
              discarded.code,
              `${context}: no valid reply within ${remaining.timeoutMs} ms; discarded: ${discarded.message}`,
            )
          : new ModbusError('TIMEOUT', `${context}: no reply within ${remaining.timeoutMs} ms`),
    );
  }
}
