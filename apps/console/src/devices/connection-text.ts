import type { DeviceConnection } from '../api/api-types.js';

/** How a device is reached, in one line: `modbus-rtu /dev/ttyUSB0 @9600 even · unit 3`. */
export function connectionText(c: DeviceConnection): string {
  switch (c.kind) {
    case 'modbus-rtu':
      return `modbus-rtu ${c.bus ?? '?'}${c.baudRate ? ` @${c.baudRate}` : ''}${c.parity ? ` ${c.parity}` : ''} · unit ${c.unitId ?? '?'}`;
    case 'modbus-tcp':
      return `modbus-tcp ${c.host ?? '?'}:${c.port ?? 502} · unit ${c.unitId ?? '?'}`;
    case 'serial':
      return `serial ${c.bus ?? '?'}${c.baudRate ? ` @${c.baudRate}` : ''} · address ${c.address ?? '?'}`;
    case 'gpio':
      return 'gpio';
  }
}
