/** Failure classes of one Modbus transaction; `EXCEPTION` carries the device's exception code. */
export type ModbusErrorCode =
  | 'TIMEOUT'
  | 'CRC'
  | 'EXCEPTION'
  | 'WRONG_UNIT'
  | 'BAD_FRAME'
  | 'DISCONNECTED'
  | 'PORT_NOT_FOUND'
  | 'CONNECT_FAILED'
  | 'ABORTED'
  | 'DEVICE_OFFLINE'
  | 'INVALID_REQUEST';

/** Meanings of Modbus exception codes (application protocol spec; 07 as named by modbus-serial). */
export const MODBUS_EXCEPTION_MEANINGS: Readonly<Record<number, string>> = {
  1: 'Illegal Function (the device does not support this function code)',
  2: 'Illegal Data Address (the register range is not mapped on the device)',
  3: 'Illegal Data Value (the device rejects this value or quantity)',
  4: 'Server Device Failure (the device reported an internal error)',
  5: 'Acknowledge (long operation accepted, poll again later)',
  6: 'Server Device Busy (retry later)',
  7: 'Negative Acknowledge (the device cannot perform this programming function)',
  8: 'Memory Parity Error (the device detected a parity error in its memory)',
  10: 'Gateway Path Unavailable (misconfigured gateway)',
  11: 'Gateway Target Device Failed to Respond (no reply behind the gateway)',
};

export function exceptionMeaning(code: number): string {
  return MODBUS_EXCEPTION_MEANINGS[code] ?? 'Unknown exception code';
}

/** Codes worth retrying: the same request may succeed a moment later. */
const TRANSIENT_CODES: ReadonlySet<ModbusErrorCode> = new Set([
  'TIMEOUT',
  'CRC',
  'WRONG_UNIT',
  'BAD_FRAME',
  'DISCONNECTED',
  'CONNECT_FAILED',
]);
/** Exception 05 (acknowledge), 06 (busy) and 0B (gateway target no reply) are transient; 01–03 never are. */
const TRANSIENT_EXCEPTIONS: ReadonlySet<number> = new Set([5, 6, 11]);

/** Codes that mean the device did not answer at all (counts against its health). */
const SILENT_CODES: ReadonlySet<ModbusErrorCode> = new Set([
  'TIMEOUT',
  'WRONG_UNIT',
  'BAD_FRAME',
  'CRC',
]);

export class ModbusError extends Error {
  override readonly name = 'ModbusError';

  constructor(
    readonly code: ModbusErrorCode,
    message: string,
    /** Modbus exception code when `code` is `EXCEPTION`. */
    readonly exceptionCode?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  static exception(exceptionCode: number, context: string): ModbusError {
    const hex = exceptionCode.toString(16).padStart(2, '0').toUpperCase();
    return new ModbusError(
      'EXCEPTION',
      `${context}: Modbus exception ${hex}: ${exceptionMeaning(exceptionCode)}`,
      exceptionCode,
    );
  }

  /** Human meaning of the exception code, if any. */
  get meaning(): string | undefined {
    return this.exceptionCode === undefined ? undefined : exceptionMeaning(this.exceptionCode);
  }

  /** Worth retrying after a backoff. */
  get transient(): boolean {
    if (this.code === 'EXCEPTION') return TRANSIENT_EXCEPTIONS.has(this.exceptionCode ?? -1);
    return TRANSIENT_CODES.has(this.code);
  }

  /**
   * The device (or the path to it) did not answer properly; an exception reply proves it is alive.
   * An unplugged adapter or an unreachable TCP gateway counts too: its devices cannot answer, so
   * they go offline (probed with backoff) and the bus reports down until the path is back.
   */
  get deviceSilent(): boolean {
    return (
      SILENT_CODES.has(this.code) ||
      this.code === 'DISCONNECTED' ||
      this.code === 'PORT_NOT_FOUND' ||
      this.code === 'CONNECT_FAILED'
    );
  }
}

export function isModbusError(err: unknown): err is ModbusError {
  return err instanceof ModbusError;
}
