import type { Deadline } from '../util/deadline.js';

/** Protocol limits (Modbus application protocol V1.1b §6). */
export const MODBUS_LIMITS = {
  maxReadRegisters: 125,
  maxReadBits: 2000,
  maxWriteRegisters: 123,
  maxWriteCoils: 1968,
  maxUnitId: 247,
  broadcastUnitId: 0,
} as const;

export type ReadTable = 'coil' | 'discrete' | 'input' | 'holding';

/** One Modbus transaction, described as data so schedulers and planners can carry it. */
export type ModbusRequest =
  | { fc: 1 | 2; unitId: number; address: number; count: number }
  | { fc: 3 | 4; unitId: number; address: number; count: number }
  | { fc: 5; unitId: number; address: number; value: boolean }
  | { fc: 6; unitId: number; address: number; value: number }
  | { fc: 15; unitId: number; address: number; values: readonly boolean[] }
  | { fc: 16; unitId: number; address: number; values: readonly number[] };

export type ModbusResponse = { bits: boolean[] } | { registers: number[] } | { written: true };

/**
 * Talks Modbus to the units behind one physical bus (a serial line or a host:port).
 * Callers serialize through a BusScheduler: implementations keep one transaction slot.
 * Unit id 0 on a serial line is broadcast: writes only, resolved without waiting for a reply.
 */
export interface ModbusClient {
  /** Stable id of the physical bus, e.g. `rtu:/dev/serial/by-id/usb-FTDI...` or `tcp:10.0.0.5:502`. */
  readonly busId: string;
  /** True on serial lines (silent intervals, broadcast semantics). */
  readonly serial: boolean;
  /** Baud rate for serial lines (drives the silent interval). */
  readonly baudRate?: number;
  connect(deadline: Deadline): Promise<void>;
  close(): Promise<void>;
  readCoils(unitId: number, address: number, count: number, deadline: Deadline): Promise<boolean[]>;
  readDiscreteInputs(
    unitId: number,
    address: number,
    count: number,
    deadline: Deadline,
  ): Promise<boolean[]>;
  readHoldingRegisters(
    unitId: number,
    address: number,
    count: number,
    deadline: Deadline,
  ): Promise<number[]>;
  readInputRegisters(
    unitId: number,
    address: number,
    count: number,
    deadline: Deadline,
  ): Promise<number[]>;
  writeCoil(unitId: number, address: number, value: boolean, deadline: Deadline): Promise<void>;
  writeCoils(
    unitId: number,
    address: number,
    values: readonly boolean[],
    deadline: Deadline,
  ): Promise<void>;
  writeRegister(unitId: number, address: number, value: number, deadline: Deadline): Promise<void>;
  writeRegisters(
    unitId: number,
    address: number,
    values: readonly number[],
    deadline: Deadline,
  ): Promise<void>;
}

export function fcForTable(table: ReadTable): 1 | 2 | 3 | 4 {
  switch (table) {
    case 'coil':
      return 1;
    case 'discrete':
      return 2;
    case 'holding':
      return 3;
    case 'input':
      return 4;
  }
}

/** Dispatches a request described as data to the matching client call. */
export async function executeModbusRequest(
  client: ModbusClient,
  req: ModbusRequest,
  deadline: Deadline,
): Promise<ModbusResponse> {
  switch (req.fc) {
    case 1:
      return { bits: await client.readCoils(req.unitId, req.address, req.count, deadline) };
    case 2:
      return {
        bits: await client.readDiscreteInputs(req.unitId, req.address, req.count, deadline),
      };
    case 3:
      return {
        registers: await client.readHoldingRegisters(req.unitId, req.address, req.count, deadline),
      };
    case 4:
      return {
        registers: await client.readInputRegisters(req.unitId, req.address, req.count, deadline),
      };
    case 5:
      await client.writeCoil(req.unitId, req.address, req.value, deadline);
      return { written: true };
    case 6:
      await client.writeRegister(req.unitId, req.address, req.value, deadline);
      return { written: true };
    case 15:
      await client.writeCoils(req.unitId, req.address, req.values, deadline);
      return { written: true };
    case 16:
      await client.writeRegisters(req.unitId, req.address, req.values, deadline);
      return { written: true };
  }
}
