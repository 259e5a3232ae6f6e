/** An inclusive byte range of a representation. */
export interface ByteRange {
  start: number;
  end: number;
}

export type RangeRequest =
  /** No usable Range (absent, not bytes, several ranges): send the whole representation. */
  | { kind: 'full' }
  | { kind: 'partial'; range: ByteRange }
  /** Syntactically fine but outside the representation: 416. */
  | { kind: 'unsatisfiable' };

/**
 * Parses a `Range` header for one range (RFC 9110 §14.1.2). Multiple ranges are answered with the
 * whole body, which the RFC allows; downloaders resume with a single `bytes=N-` range.
 */
export function parseRange(header: string | undefined, size: number): RangeRequest {
  if (header === undefined) return { kind: 'full' };
  const match = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!match) return { kind: 'full' };
  const [, first = '', last = ''] = match;
  if (first === '' && last === '') return { kind: 'full' };
  if (first === '') {
    // Suffix range: the last N bytes.
    const length = Number(last);
    if (length === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'partial', range: { start: Math.max(0, size - length), end: size - 1 } };
  }
  const start = Number(first);
  if (!Number.isSafeInteger(start) || start >= size) return { kind: 'unsatisfiable' };
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  if (end < start) return { kind: 'full' };
  return { kind: 'partial', range: { start, end } };
}

/**
 * Whether an `If-Range` validator still matches: a strong ETag compared exactly, or an HTTP date
 * equal to Last-Modified. Anything else means "send the whole representation".
 */
export function ifRangeMatches(
  header: string | undefined,
  etag: string,
  lastModified: Date,
): boolean {
  if (header === undefined) return true;
  const value = header.trim();
  if (value.startsWith('"') || value.startsWith('W/')) return value === etag;
  const date = Date.parse(value);
  return !Number.isNaN(date) && Math.floor(lastModified.getTime() / 1000) * 1000 === date;
}

/** Whether `If-None-Match` lists this ETag (weak comparison, as the RFC asks for this header). */
export function noneMatch(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  const bare = etag.replace(/^W\//, '');
  return header
    .split(',')
    .map((t) => t.trim())
    .some((t) => t === '*' || t.replace(/^W\//, '') === bare);
}
