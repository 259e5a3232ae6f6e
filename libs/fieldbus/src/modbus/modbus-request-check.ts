import { MODBUS_LIMITS } from './modbus-client.port.js';
import { ModbusError } from './modbus-error.js';

/** Rejects requests the protocol forbids before they reach the wire, naming the bad field. */
export function checkRequest(
  what: string,
  unitId: number,
  address: number,
  count: number,
  maxCount: number,
  opts: { write: boolean; serial: boolean },
): void {
  const bad = (field: string, reason: string): never => {
    throw new ModbusError('INVALID_REQUEST', `${what}: ${field} ${reason}`);
  };
  if (!Number.isInteger(unitId) || unitId < 0 || unitId > 255)
    bad('unitId', `must be 0..255, got ${unitId}`);
  if (opts.serial && unitId > MODBUS_LIMITS.maxUnitId)
    bad('unitId', `must be 0..247 on a serial line, got ${unitId}`);
  if (opts.serial && unitId === 0 && !opts.write) bad('unitId', '0 is broadcast: writes only');
  if (!Number.isInteger(address) || address < 0 || address > 0xffff)
    bad('address', `must be 0..65535, got ${address}`);
  if (!Number.isInteger(count) || count < 1 || count > maxCount)
    bad('count', `must be 1..${maxCount}, got ${count}`);
  if (address + count > 0x10000) bad('address', `+ count runs past 65535 (${address} + ${count})`);
}

export function checkRegisterValue(what: string, value: number): void {
  if (!Number.isInteger(value) || value < 0 || value > 0xffff) {
    throw new ModbusError(
      'INVALID_REQUEST',
      `${what}: register value must be 0..65535, got ${value}`,
    );
  }
}
