/** Defaults applied by the loader; device-profile.schema.json documents the same values. */
export const PROFILE_DEFAULTS = {
  modbus: {
    byteOrder: 'ABCD',
    alignment: 'any',
    unitId: 1,
    timeoutMs: 1000,
    maxRegistersPerRead: 125,
    maxCoilsPerRead: 2000,
    maxGap: 0,
    interFrameDelayMs: 0,
    forceMultipleWrite: false,
  },
  serialLine: { baudRate: 9600, parity: 'none', dataBits: 8, stopBits: 1 },
  modbusTcp: { port: 502 },
  serialProtocol: { baudRate: 2400, address: 1, timeoutMs: 500 },
  gpio: { debounceMs: 20 },
  point: { access: 'r', scale: 1, offset: 0, deadband: 0, rawType: 'uint16', activeLow: false },
  repeat: { from: 0 },
  /** Used when a profile declares no poll groups. */
  pollGroup: { name: 'default', periodMs: 10_000 },
} as const;

/** Protocol caps (Modbus application protocol). */
export const MODBUS_LIMITS = {
  maxRegistersPerRead: 125,
  maxCoilsPerRead: 2000,
  maxAddress: 65535,
} as const;

/** Longest delay a command step may hold a sequence. */
export const MAX_STEP_DELAY_MS = 60_000;
