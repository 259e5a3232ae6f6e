import type { Parity } from '@fleet/profiles';

/** Line settings of a serial port (RS-485 adapters with automatic direction control assumed). */
export interface SerialSettings {
  baudRate: number;
  parity: Parity;
  dataBits: 7 | 8;
  stopBits: 1 | 2;
}

export const DEFAULT_SERIAL_SETTINGS: SerialSettings = {
  baudRate: 9600,
  parity: 'none',
  dataBits: 8,
  stopBits: 1,
};
