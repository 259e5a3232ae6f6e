import { exceptionMeaning } from '@fleet/fieldbus';
import type { PointValue } from '@fleet/profiles';

/** A read-back after a write: what was expected, what the device reported, and whether it matched. */
export interface VerifyCheck {
  ok: boolean;
  point: string;
  expected: PointValue;
  actual?: PointValue;
}

export type DeviceFaultCode =
  'DEVICE_TIMEOUT' | `MODBUS_EXCEPTION_${number}` | 'VERIFY_FAILED' | 'UNSUPPORTED_OPERATION';

/** Exception 05 (acknowledge), 06 (busy) and 0B (gateway target silent) may succeed later. */
const TRANSIENT_EXCEPTIONS: ReadonlySet<number> = new Set([5, 6, 11]);

/** A simulated device did not do what was asked: silent, an exception reply, or a bad read-back. */
export class DeviceFault extends Error {
  override readonly name = 'DeviceFault';

  constructor(
    readonly code: DeviceFaultCode,
    message: string,
    readonly retryable: boolean,
    /** The failed read-back, for VERIFY_FAILED. */
    readonly verify?: VerifyCheck,
  ) {
    super(message);
  }

  get silent(): boolean {
    return this.code === 'DEVICE_TIMEOUT';
  }

  static timeout(what: string, timeoutMs: number): DeviceFault {
    return new DeviceFault('DEVICE_TIMEOUT', `${what}: no answer within ${timeoutMs} ms`, true);
  }

  static exception(code: number, what: string): DeviceFault {
    const hex = code.toString(16).padStart(2, '0').toUpperCase();
    return new DeviceFault(
      `MODBUS_EXCEPTION_${code}`,
      `${what}: Modbus exception ${hex}: ${exceptionMeaning(code)}`,
      TRANSIENT_EXCEPTIONS.has(code),
    );
  }
}
