import type { DeviceConnection } from '@fleet/contracts';
import { modbusTransport, type ModbusBusSpec, type SerialSettings } from '@fleet/fieldbus';
import type { DeviceProfile, SerialProtocolDefaults } from '@fleet/profiles';

/** A physical bus: a Modbus RTU line, a Modbus TCP endpoint or a raw serial line. */
export type BusSpec = ModbusBusSpec | { kind: 'serial'; path: string; serial: SerialSettings };

/** Ids as BusRegistry and the bus schedulers name them: `rtu:<path>`, `tcp:<host>:<port>`, `serial:<path>`. */
export function busIdOf(spec: BusSpec): string {
  switch (spec.kind) {
    case 'modbus-rtu':
      return `rtu:${spec.path}`;
    case 'modbus-tcp':
      return `tcp:${spec.host}:${spec.port}`;
    case 'serial':
      return `serial:${spec.path}`;
  }
}

/** The serial line's settings: the connection's, else the profile's defaults, else 8 data / 1 stop. */
function lineSettings(
  connection: {
    baudRate: number;
    parity: SerialSettings['parity'];
    dataBits?: 7 | 8;
    stopBits?: 1 | 2;
  },
  defaults: Partial<SerialSettings> | undefined,
): SerialSettings {
  return {
    baudRate: connection.baudRate,
    parity: connection.parity,
    dataBits: connection.dataBits ?? defaults?.dataBits ?? 8,
    stopBits: connection.stopBits ?? defaults?.stopBits ?? 1,
  };
}

/** The bus a device sits on; undefined for GPIO devices (no bus, lines on the header). */
export function busSpecOf(
  connection: DeviceConnection,
  profile: DeviceProfile,
): BusSpec | undefined {
  switch (connection.kind) {
    case 'modbus-rtu':
      return {
        kind: 'modbus-rtu',
        path: connection.path,
        serial: lineSettings(connection, modbusTransport(profile, 'modbus-rtu')?.serial),
      };
    case 'modbus-tcp':
      return { kind: 'modbus-tcp', host: connection.host, port: connection.port };
    case 'serial': {
      const proto = profile.transports.find(
        (t): t is SerialProtocolDefaults => t.kind === 'serial',
      );
      return {
        kind: 'serial',
        path: connection.path,
        serial: lineSettings(connection, proto?.serial),
      };
    }
    case 'gpio':
      return undefined;
  }
}

/** The first line setting two specs of one bus disagree on, e.g. `baudRate 9600 vs 2400`. */
export function busSpecDifference(a: BusSpec, b: BusSpec): string | undefined {
  if (a.kind !== b.kind) return `kind ${a.kind} vs ${b.kind}`;
  if (a.kind === 'modbus-tcp') return undefined;
  const other = b as Exclude<BusSpec, { kind: 'modbus-tcp' }>;
  for (const key of ['baudRate', 'parity', 'dataBits', 'stopBits'] as const) {
    if (a.serial[key] !== other.serial[key])
      return `${key} ${String(a.serial[key])} vs ${String(other.serial[key])}`;
  }
  return undefined;
}

/** The device's address on its bus: Modbus unit id or serial-protocol address. */
export function busAddressOf(connection: DeviceConnection): string | undefined {
  switch (connection.kind) {
    case 'modbus-rtu':
    case 'modbus-tcp':
      return `unit ${connection.unitId}`;
    case 'serial':
      return `address ${connection.address}`;
    case 'gpio':
      return undefined;
  }
}
