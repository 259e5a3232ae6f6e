import { FirmwareError, FirmwareErrorCode } from './firmware-error.js';

/**
 * Canonical JSON: object keys sorted by UTF-16 code unit (as RFC 8785 does), no whitespace, `undefined`
 * object members dropped. The same value always serializes to the same bytes, which is what a
 * signature needs. Only JSON data is accepted (no NaN, Infinity, functions, class instances).
 */
export function canonicalJson(value: unknown): string {
  return serialize(value, '$', 0);
}

/** Manifests are two levels deep; the bound keeps hostile nesting from overflowing the stack. */
export const MAX_CANONICAL_DEPTH = 64;

function serialize(value: unknown, path: string, depth: number): string {
  if (depth > MAX_CANONICAL_DEPTH)
    throw notJson(path, `is nested deeper than ${MAX_CANONICAL_DEPTH} levels`);
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw notJson(path, `${String(value)} is not a JSON number`);
      return JSON.stringify(value);
    case 'object':
      break;
    case 'undefined':
    case 'bigint':
    case 'function':
    case 'symbol':
      throw notJson(path, `a ${typeof value} is not JSON data`);
  }
  if (Array.isArray(value)) {
    const items: string[] = [];
    for (let i = 0; i < value.length; i++)
      items.push(serialize(value[i] as unknown, `${path}[${i}]`, depth + 1));
    return `[${items.join(',')}]`;
  }
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) {
    // Class instances (Date, Buffer, DTOs) would serialize through toJSON or lose fields: refuse.
    const ctor = (value as { constructor?: { name?: string } }).constructor?.name ?? 'object';
    throw notJson(path, `a ${ctor} instance is not plain JSON data`);
  }
  const record = value as Record<string, unknown>;
  const members: string[] = [];
  for (const key of Object.keys(record).sort()) {
    const member = record[key];
    if (member === undefined) continue;
    members.push(`${JSON.stringify(key)}:${serialize(member, `${path}.${key}`, depth + 1)}`);
  }
  return `{${members.join(',')}}`;
}

function notJson(path: string, reason: string): FirmwareError {
  return new FirmwareError(FirmwareErrorCode.INVALID_ARGUMENT, `${path}: ${reason}`, {
    issues: [{ field: path, reason }],
  });
}
