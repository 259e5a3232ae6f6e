import { decodePelcoDReply, type Operation, type PointValue } from '@fleet/profiles';
import { ModbusError } from '../modbus/modbus-error.js';
import type { SerialLink } from '../serial/serial-link.port.js';
import type { BusScheduler } from '../scheduler/bus-scheduler.js';
import { sleep } from '../util/deadline.js';
import type { GpioLineRegistry } from './gpio-line-registry.js';
import { busDeviceKey, type ModbusDevice } from './modbus-device.js';
import { describeFailure, type PointFailure, PointReader } from './point-reader.js';

export interface SerialTarget {
  link: SerialLink;
  /** The serial line's scheduler (one transaction at a time on that line too). */
  scheduler: BusScheduler;
  /** Device key on that line, e.g. `pelco:1`. */
  device: string;
  timeoutMs: number;
}

export interface CommandTargets {
  modbus?: ModbusDevice;
  serial?: SerialTarget;
  gpio?: GpioLineRegistry;
}

export interface VerifyOutcome {
  point: string;
  expected: PointValue;
  actual?: PointValue;
  tolerance: number;
  ok: boolean;
}

export interface CommandFailure extends PointFailure {
  /** Index of the operation that failed. */
  operation: number;
}

export interface CommandResult {
  ok: boolean;
  /** Operations completed (in order) before success or failure. */
  completed: number;
  reads: Record<string, PointValue>;
  /** Replies to serial queries, e.g. `{ pan: 12000 }`. */
  replies: Record<string, number>;
  verify: VerifyOutcome[];
  error?: CommandFailure;
  /** True when a failure or abort ran the safety-stop operations. */
  safetyStopRan?: boolean;
}

export interface ExecuteOptions {
  signal?: AbortSignal;
  /** Operations that must run if the sequence does not finish (PTZ stop, relay off). */
  safetyStop?: readonly Operation[];
}

/**
 * Runs a resolved command (Operation[]) at command priority: Modbus writes and reads through
 * the device's bus scheduler, serial frames through the serial line's scheduler, GPIO writes on
 * their line. Optional write-verify reads the point back and compares within tolerance.
 */
export class CommandExecutor {
  private readonly reader: PointReader | undefined;

  constructor(private readonly targets: CommandTargets) {
    this.reader = targets.modbus ? new PointReader(targets.modbus) : undefined;
  }

  async execute(
    operations: readonly Operation[],
    options: ExecuteOptions = {},
  ): Promise<CommandResult> {
    const result: CommandResult = { ok: true, completed: 0, reads: {}, replies: {}, verify: [] };
    for (const [index, op] of operations.entries()) {
      try {
        if (options.signal?.aborted) throw new ModbusError('ABORTED', 'command aborted');
        await this.run(op, result, options.signal);
        result.completed++;
      } catch (err) {
        result.ok = false;
        result.error = { ...describeFailure(err), operation: index };
        break;
      }
    }
    if (!result.ok && options.safetyStop && options.safetyStop.length > 0) {
      // Best effort and never aborted: a camera must not keep panning.
      const stop: CommandResult = { ok: true, completed: 0, reads: {}, replies: {}, verify: [] };
      for (const op of options.safetyStop) await this.run(op, stop).catch(() => undefined);
      result.safetyStopRan = true;
    }
    return result;
  }

  private async run(op: Operation, result: CommandResult, signal?: AbortSignal): Promise<void> {
    switch (op.kind) {
      case 'modbus-write':
        await this.write(op, signal);
        if (op.verify) {
          const outcome = await this.verify(op.verify, signal);
          result.verify.push(outcome);
          if (!outcome.ok) {
            throw new CommandVerifyError(
              `${op.verify.point}: read back ${showValue(outcome.actual)} after writing, expected ${showValue(op.verify.expected)} ± ${op.verify.tolerance}`,
            );
          }
        }
        return;
      case 'modbus-read': {
        const modbus = this.requireModbus();
        const points = op.points.map((name) => {
          const p = modbus.profile.points.find((x) => x.name === name);
          if (!p) throw new ModbusError('INVALID_REQUEST', `unknown point "${name}"`);
          return p;
        });
        const r = await this.requireReader().read(points, 'command', signal);
        Object.assign(result.reads, r.values);
        const [name, failure] = Object.entries(r.errors)[0] ?? [];
        if (name && failure) throw Object.assign(new Error(`${name}: ${failure.message}`), failure);
        return;
      }
      case 'serial-frame': {
        const serial = this.targets.serial;
        if (!serial)
          throw new ModbusError('INVALID_REQUEST', 'this device has no serial line configured');
        const reply = await serial.scheduler.submit({
          device: serial.device,
          priority: 'command',
          timeoutMs: serial.timeoutMs,
          ...(signal ? { signal } : {}),
          run: async (d) => {
            serial.link.discardInput();
            await serial.link.write(op.bytes, d);
            return op.replyLength ? serial.link.read(op.replyLength, d) : undefined;
          },
        });
        if (reply && op.reply?.protocol === 'pelco-d') {
          const decoded = decodePelcoDReply(reply);
          result.replies[decoded.kind] = decoded.value;
        }
        return;
      }
      case 'gpio-write': {
        if (!this.targets.gpio)
          throw new ModbusError('INVALID_REQUEST', 'this device has no GPIO configured');
        const hint = op.activeLow !== undefined ? { activeLow: op.activeLow } : undefined;
        const line = await this.targets.gpio.line(op.line, hint);
        await line.write(op.value);
        return;
      }
      case 'delay':
        await sleep(op.ms, signal);
        return;
    }
  }

  private async write(
    op: Extract<Operation, { kind: 'modbus-write' }>,
    signal?: AbortSignal,
  ): Promise<void> {
    const { client, unitId, transport, scheduler } = this.requireModbus();
    const multiple = transport.forceMultipleWrite || op.values.length > 1;
    const label = `${op.table === 'coil' ? (multiple ? 'FC15' : 'FC05') : multiple ? 'FC16' : 'FC06'} @${op.address}`;
    await scheduler.submit({
      device: busDeviceKey(unitId),
      priority: 'command',
      timeoutMs: transport.timeoutMs,
      interFrameDelayMs: transport.interFrameDelayMs,
      label,
      // A write that timed out may have been applied; repeating it is safe for these absolute writes.
      ...(signal ? { signal } : {}),
      run: async (d) => {
        if (op.table === 'coil') {
          const bits = op.values.map((v) => v === true || v === 1);
          if (multiple) await client.writeCoils(unitId, op.address, bits, d);
          else await client.writeCoil(unitId, op.address, bits[0] ?? false, d);
        } else {
          const words = op.values.map((v) => (typeof v === 'boolean' ? (v ? 1 : 0) : v));
          if (multiple) await client.writeRegisters(unitId, op.address, words, d);
          else await client.writeRegister(unitId, op.address, words[0] ?? 0, d);
        }
      },
    });
  }

  private async verify(
    spec: { point: string; expected: PointValue; tolerance: number },
    signal?: AbortSignal,
  ): Promise<VerifyOutcome> {
    const modbus = this.requireModbus();
    const point = modbus.profile.points.find((p) => p.name === spec.point);
    if (!point) throw new ModbusError('INVALID_REQUEST', `verify: unknown point "${spec.point}"`);
    const r = await this.requireReader().read([point], 'command', signal);
    const failure = r.errors[point.name];
    if (failure)
      throw Object.assign(new Error(`verify ${point.name}: ${failure.message}`), failure);
    const actual = r.values[point.name];
    const outcome: VerifyOutcome = {
      point: spec.point,
      expected: spec.expected,
      tolerance: spec.tolerance,
      ok: false,
    };
    if (actual !== undefined) outcome.actual = actual;
    outcome.ok = withinTolerance(actual, spec.expected, spec.tolerance);
    return outcome;
  }

  private requireModbus(): ModbusDevice {
    if (!this.targets.modbus)
      throw new ModbusError('INVALID_REQUEST', 'this device has no Modbus transport configured');
    return this.targets.modbus;
  }

  private requireReader(): PointReader {
    if (!this.reader)
      throw new ModbusError('INVALID_REQUEST', 'this device has no Modbus transport configured');
    return this.reader;
  }
}

class CommandVerifyError extends Error {
  readonly code = 'VERIFY_FAILED';
  override readonly name = 'CommandVerifyError';
}

function withinTolerance(
  actual: PointValue | undefined,
  expected: PointValue,
  tolerance: number,
): boolean {
  if (typeof actual === 'number' && typeof expected === 'number')
    return Math.abs(actual - expected) <= tolerance;
  if (typeof actual === 'bigint' && typeof expected === 'bigint') {
    const d = actual > expected ? actual - expected : expected - actual;
    return d <= BigInt(Math.floor(tolerance));
  }
  return JSON.stringify(actual) === JSON.stringify(expected);
}

function showValue(v: PointValue | undefined): string {
  if (v === undefined) return 'nothing';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}
