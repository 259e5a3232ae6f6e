import {
  MAX_STRING_VALUE_LENGTH,
  type CommandResult as WireResult,
  type ErrorDetail,
  type VerifyOutcome as WireVerify,
  type WireValue,
} from '@fleet/contracts';
import type { CommandFailure, CommandResult, VerifyOutcome } from '@fleet/fieldbus';
import type { PointValue } from '@fleet/profiles';

/** Modbus exception codes by the names operators look for in results. */
const EXCEPTION_CODES: Readonly<Record<number, string>> = {
  1: 'MODBUS_ILLEGAL_FUNCTION',
  2: 'MODBUS_ILLEGAL_ADDRESS',
  3: 'MODBUS_ILLEGAL_VALUE',
  4: 'MODBUS_DEVICE_FAILURE',
  5: 'MODBUS_ACKNOWLEDGE',
  6: 'MODBUS_DEVICE_BUSY',
  7: 'MODBUS_NEGATIVE_ACKNOWLEDGE',
  8: 'MODBUS_MEMORY_PARITY_ERROR',
  10: 'MODBUS_GATEWAY_PATH_UNAVAILABLE',
  11: 'MODBUS_GATEWAY_TARGET_NO_RESPONSE',
};

/** Faults where the same command may well succeed a moment later. */
const TRANSIENT_CODES: ReadonlySet<string> = new Set([
  'TIMEOUT',
  'CRC',
  'WRONG_UNIT',
  'BAD_FRAME',
  'DISCONNECTED',
  'CONNECT_FAILED',
  'OPEN_FAILED',
  'DEVICE_OFFLINE',
]);
/** Acknowledge (long operation), device busy, gateway target did not answer. */
const TRANSIENT_EXCEPTIONS: ReadonlySet<number> = new Set([5, 6, 11]);
/** The device never answered: the execution timed out rather than failed. */
const SILENT_CODES: ReadonlySet<string> = new Set(['TIMEOUT', 'DEVICE_OFFLINE']);

/** Worth retrying after a backoff (timeouts, busy); never for an illegal address or a rejected value. */
export function isTransient(failure: CommandFailure): boolean {
  if (failure.code === 'EXCEPTION') return TRANSIENT_EXCEPTIONS.has(failure.exceptionCode ?? -1);
  return TRANSIENT_CODES.has(failure.code);
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** A point value as the wire carries it: bigints as numbers when exact, else as decimal text. */
export function toWireValue(value: PointValue): WireValue {
  if (typeof value === 'bigint') {
    const asNumber = Number(value);
    return Number.isSafeInteger(asNumber) ? asNumber : value.toString();
  }
  if (typeof value === 'string') return clip(value, MAX_STRING_VALUE_LENGTH);
  if (typeof value === 'number' || typeof value === 'boolean') return value;
  return { ...value };
}

function toWireVerify(verify: VerifyOutcome): WireVerify {
  const out: WireVerify = {
    ok: verify.ok,
    point: verify.point,
    expected: toWireValue(verify.expected),
  };
  if (verify.actual !== undefined) out.actual = toWireValue(verify.actual);
  return out;
}

/** The error code and meaning reported for a failed command. */
export function errorDetail(failure: CommandFailure, attempts: number): ErrorDetail {
  let code = failure.code;
  if (failure.code === 'EXCEPTION' && failure.exceptionCode !== undefined)
    code = EXCEPTION_CODES[failure.exceptionCode] ?? `MODBUS_EXCEPTION_${failure.exceptionCode}`;
  else if (failure.code === 'TIMEOUT') code = 'DEVICE_TIMEOUT';
  const tries = attempts > 1 ? ` (after ${attempts} attempts)` : '';
  return {
    code: clip(code, 64),
    message: clip(`operation ${failure.operation + 1}: ${failure.message}${tries}`, 1024),
    retryable: isTransient(failure),
  };
}

/** Maps what the field-bus executor returned to the `cmd/result` the control plane records. */
export function executionResult(
  executionId: string,
  result: CommandResult,
  timing: { startedAt: number; finishedAt: number; attempts: number },
): WireResult {
  const wire: WireResult = {
    executionId,
    outcome: 'succeeded',
    startedAt: timing.startedAt,
    finishedAt: timing.finishedAt,
  };
  const values: Record<string, WireValue> = {};
  for (const [name, value] of Object.entries(result.reads)) values[name] = toWireValue(value);
  for (const [name, value] of Object.entries(result.replies)) values[name] = value;
  const names = Object.keys(values);
  if (names.length > 0)
    wire.values = Object.fromEntries(names.slice(0, 500).map((n) => [n, values[n]]));
  const verify = result.verify.at(-1);
  if (verify) wire.verify = toWireVerify(verify);
  if (!result.ok) {
    const failure: CommandFailure = result.error ?? {
      code: 'FAILED',
      message: 'the command did not complete',
      operation: result.completed,
    };
    wire.outcome = SILENT_CODES.has(failure.code) ? 'timed_out' : 'failed';
    wire.error = errorDetail(failure, timing.attempts);
  }
  return wire;
}

/** A result for an execution that could not even start (unknown device, expired, ...). */
export function notRun(executionId: string, code: string, message: string, at: number): WireResult {
  return {
    executionId,
    outcome: 'failed',
    error: { code, message: clip(message, 1024), retryable: false },
    finishedAt: at,
  };
}
