import type { DeviceProfile, ModbusTransportDefaults } from '@fleet/profiles';
import type { ModbusClient } from '../modbus/modbus-client.port.js';
import type { BusScheduler } from '../scheduler/bus-scheduler.js';

/** A Modbus device bound to a bus: its profile, unit id and the bus's client and scheduler. */
export interface ModbusDevice {
  /** Stable id for reports and logs, e.g. `meter-3`. */
  id: string;
  profile: DeviceProfile;
  unitId: number;
  transport: ModbusTransportDefaults;
  client: ModbusClient;
  scheduler: BusScheduler;
}

/** The scheduler's key for a device: unit ids are what share (and contend for) a bus. */
export function busDeviceKey(unitId: number): string {
  return `unit:${unitId}`;
}

/** The profile's Modbus transport of the wanted kind (or the first Modbus one). */
export function modbusTransport(
  profile: DeviceProfile,
  kind?: 'modbus-rtu' | 'modbus-tcp',
): ModbusTransportDefaults | undefined {
  const modbus = profile.transports.filter(
    (t): t is ModbusTransportDefaults => t.kind === 'modbus-rtu' || t.kind === 'modbus-tcp',
  );
  return (kind ? modbus.find((t) => t.kind === kind) : undefined) ?? modbus[0];
}
