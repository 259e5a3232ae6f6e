import { ModbusError, SerialLinkError, GpioError } from '@fleet/fieldbus';
import {
  CommandError,
  type PointValue,
  PointCodecError,
  ProfileNotFoundError,
} from '@fleet/profiles';

/** One line saying what failed: the code, and for exceptions the code's meaning. */
export function describeError(err: unknown): string {
  if (err instanceof ModbusError) return `${err.code}: ${err.message}`;
  if (err instanceof SerialLinkError || err instanceof GpioError)
    return `${err.code}: ${err.message}`;
  if (
    err instanceof CommandError ||
    err instanceof ProfileNotFoundError ||
    err instanceof PointCodecError
  )
    return err.message;
  return err instanceof Error ? err.message : String(err);
}

export function formatValue(v: PointValue): string {
  if (typeof v === 'number')
    return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(7)));
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'boolean' || typeof v === 'string') return String(v);
  const on = Object.entries(v)
    .filter(([, b]) => b)
    .map(([k]) => k);
  return on.length > 0 ? on.join(',') : '-';
}

/** JSON for values: bigint becomes a number when exact, else a string. */
export function jsonValue(v: PointValue): unknown {
  if (typeof v === 'bigint')
    return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER)
      ? Number(v)
      : v.toString();
  return v;
}

export function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
