import type { IssueCollector } from './issue-collector.js';
import type { ProfileDocument } from './profile-document.js';
import { PROFILE_DEFAULTS } from './profile-defaults.js';
import type {
  ByteOrder,
  ModbusTransportDefaults,
  SerialDefaults,
  TransportDefaults,
} from './profile.types.js';

function serialOf(line: {
  baudRate?: number;
  parity?: SerialDefaults['parity'];
  dataBits?: 7 | 8;
  stopBits?: 1 | 2;
}): SerialDefaults {
  const d = PROFILE_DEFAULTS.serialLine;
  return {
    baudRate: line.baudRate ?? d.baudRate,
    parity: line.parity ?? d.parity,
    dataBits: line.dataBits ?? d.dataBits,
    stopBits: line.stopBits ?? d.stopBits,
  };
}

/** Transports with every default filled in; the shared `modbus:` block feeds both Modbus kinds. */
export function buildTransports(doc: ProfileDocument, issues: IssueCollector): TransportDefaults[] {
  const out: TransportDefaults[] = [];
  const shared = doc.modbus ?? {};
  const d = PROFILE_DEFAULTS.modbus;
  const byteOrder: ByteOrder = shared.byteOrder ?? d.byteOrder;
  const t = doc.transports;

  const modbus = (
    kind: 'modbus-rtu' | 'modbus-tcp',
    own: ProfileDocument['transports']['modbus-rtu'] & { port?: number },
  ): ModbusTransportDefaults => {
    const pick = <K extends keyof typeof d & keyof typeof own>(k: K) => own[k] ?? shared[k] ?? d[k];
    const result: ModbusTransportDefaults = {
      kind,
      defaultUnitId: pick('unitId'),
      timeoutMs: pick('timeoutMs'),
      byteOrder,
      maxRegistersPerRead: pick('maxRegistersPerRead'),
      maxCoilsPerRead: pick('maxCoilsPerRead'),
      maxGap: pick('maxGap'),
      interFrameDelayMs: pick('interFrameDelayMs'),
      forceMultipleWrite: pick('forceMultipleWrite'),
    };
    if (kind === 'modbus-rtu') {
      result.serial = serialOf(own);
      if (result.defaultUnitId < 1 || result.defaultUnitId > 247) {
        issues.error(
          `transports.${kind}.unitId`,
          `must be 1..247 on a serial bus (0 is broadcast), got ${result.defaultUnitId}`,
        );
      }
    } else {
      result.port = own.port ?? PROFILE_DEFAULTS.modbusTcp.port;
    }
    if (result.maxGap >= result.maxRegistersPerRead) {
      issues.error(
        `transports.${kind}.maxGap`,
        `must be below maxRegistersPerRead (${result.maxRegistersPerRead}), got ${result.maxGap}`,
      );
    }
    return result;
  };

  if (t['modbus-rtu']) out.push(modbus('modbus-rtu', t['modbus-rtu']));
  if (t['modbus-tcp']) out.push(modbus('modbus-tcp', t['modbus-tcp']));
  if (t.serial) {
    out.push({
      kind: 'serial',
      protocol: t.serial.protocol,
      serial: serialOf({ baudRate: PROFILE_DEFAULTS.serialProtocol.baudRate, ...t.serial }),
      defaultAddress: t.serial.address ?? PROFILE_DEFAULTS.serialProtocol.address,
      timeoutMs: t.serial.timeoutMs ?? PROFILE_DEFAULTS.serialProtocol.timeoutMs,
    });
  }
  if (t.gpio) {
    out.push({ kind: 'gpio', debounceMs: t.gpio.debounceMs ?? PROFILE_DEFAULTS.gpio.debounceMs });
  }
  if (doc.modbus && !t['modbus-rtu'] && !t['modbus-tcp']) {
    issues.error('modbus', 'is set, but the profile has no modbus-rtu or modbus-tcp transport');
  }
  return out;
}
