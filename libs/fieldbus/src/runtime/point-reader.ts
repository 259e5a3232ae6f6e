import { decodePoint, type PointDefinition, type PointValue } from '@fleet/profiles';
import { ModbusError } from '../modbus/modbus-error.js';
import type { ReadTable } from '../modbus/modbus-client.port.js';
import { type ReadBlock, ReadPlanner } from '../planner/read-planner.js';
import type { TransactionPriority } from '../scheduler/bus-scheduler.js';
import { busDeviceKey, type ModbusDevice } from './modbus-device.js';

export interface PointFailure {
  code: string;
  message: string;
  /** Modbus exception code and meaning, when the device answered with one. */
  exceptionCode?: number;
  meaning?: string;
}

export interface PointReadResult {
  values: Record<string, PointValue>;
  errors: Record<string, PointFailure>;
  /** Requests that went to the bus (after splits). */
  requests: number;
}

export function describeFailure(err: unknown): PointFailure {
  if (err instanceof ModbusError) {
    const f: PointFailure = { code: err.code, message: err.message };
    if (err.exceptionCode !== undefined) {
      f.exceptionCode = err.exceptionCode;
      if (err.meaning !== undefined) f.meaning = err.meaning;
    }
    return f;
  }
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return { code: typeof code === 'string' ? code : 'ERROR', message: err.message };
  }
  return { code: 'ERROR', message: String(err) };
}

/**
 * Reads Modbus points of one device through its bus scheduler with as few requests as the
 * planner allows, splitting (and remembering) on exception 02/03, and decodes them with the
 * profile codec. One instance per device keeps the planner's remembered splits.
 */
export class PointReader {
  readonly planner: ReadPlanner;

  constructor(private readonly device: ModbusDevice) {
    this.planner = new ReadPlanner({
      maxRegistersPerRead: device.transport.maxRegistersPerRead,
      maxCoilsPerRead: device.transport.maxCoilsPerRead,
      maxGap: device.transport.maxGap,
    });
  }

  async read(
    points: readonly PointDefinition[],
    priority: TransactionPriority,
    signal?: AbortSignal,
  ): Promise<PointReadResult> {
    const result: PointReadResult = { values: {}, errors: {}, requests: 0 };
    const modbusPoints = points.filter((p) => p.table !== undefined && p.address !== undefined);
    let pending = this.planner.plan(modbusPoints);
    // Each split makes blocks smaller; bound the loop by the number of points.
    for (let round = 0; pending.length > 0 && round <= modbusPoints.length; round++) {
      const retry: PointDefinition[] = [];
      for (const block of pending) {
        result.requests++;
        try {
          const raw = await this.readBlock(block, priority, signal);
          this.decodeBlock(block, raw, result);
        } catch (err) {
          const exception =
            err instanceof ModbusError && err.code === 'EXCEPTION' ? err.exceptionCode : undefined;
          if ((exception === 2 || exception === 3) && this.planner.split(block)) {
            retry.push(...block.points);
            continue;
          }
          for (const p of block.points) result.errors[p.name] = describeFailure(err);
        }
      }
      pending = retry.length > 0 ? this.planner.plan(retry) : [];
    }
    return result;
  }

  private readBlock(
    block: ReadBlock<PointDefinition>,
    priority: TransactionPriority,
    signal?: AbortSignal,
  ): Promise<number[] | boolean[]> {
    const { client, unitId, transport, scheduler } = this.device;
    const fc: Record<ReadTable, string> = {
      coil: 'FC01',
      discrete: 'FC02',
      holding: 'FC03',
      input: 'FC04',
    };
    return scheduler.submit<number[] | boolean[]>({
      device: busDeviceKey(unitId),
      priority,
      timeoutMs: transport.timeoutMs,
      interFrameDelayMs: transport.interFrameDelayMs,
      label: `${fc[block.table]} @${block.address}+${block.count}`,
      ...(signal ? { signal } : {}),
      run: (d) => {
        switch (block.table) {
          case 'coil':
            return client.readCoils(unitId, block.address, block.count, d);
          case 'discrete':
            return client.readDiscreteInputs(unitId, block.address, block.count, d);
          case 'holding':
            return client.readHoldingRegisters(unitId, block.address, block.count, d);
          case 'input':
            return client.readInputRegisters(unitId, block.address, block.count, d);
        }
      },
    });
  }

  private decodeBlock(
    block: ReadBlock<PointDefinition>,
    raw: number[] | boolean[],
    result: PointReadResult,
  ): void {
    for (const p of block.points) {
      const from = (p.address ?? 0) - block.address;
      const slice =
        block.table === 'coil' || block.table === 'discrete'
          ? raw.slice(from, from + 1)
          : raw.slice(from, from + p.count);
      try {
        result.values[p.name] = decodePoint(p, slice);
      } catch (err) {
        result.errors[p.name] = describeFailure(err);
      }
    }
  }
}
