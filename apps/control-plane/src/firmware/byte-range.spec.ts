import { describe, expect, it } from 'vitest';
import { ifRangeMatches, noneMatch, parseRange } from './byte-range.js';

describe('parseRange', () => {
  it('serves the whole body without a usable Range', () => {
    expect(parseRange(undefined, 100)).toEqual({ kind: 'full' });
    expect(parseRange('items=0-5', 100)).toEqual({ kind: 'full' });
    expect(parseRange('bytes=0-5,10-20', 100)).toEqual({ kind: 'full' });
    expect(parseRange('bytes=9-3', 100)).toEqual({ kind: 'full' });
  });

  it('reads open, closed and suffix ranges, clamped to the size', () => {
    expect(parseRange('bytes=10-', 100)).toEqual({
      kind: 'partial',
      range: { start: 10, end: 99 },
    });
    expect(parseRange('bytes=10-19', 100)).toEqual({
      kind: 'partial',
      range: { start: 10, end: 19 },
    });
    expect(parseRange('bytes=90-500', 100)).toEqual({
      kind: 'partial',
      range: { start: 90, end: 99 },
    });
    expect(parseRange('bytes=-30', 100)).toEqual({
      kind: 'partial',
      range: { start: 70, end: 99 },
    });
    expect(parseRange('bytes=-300', 100)).toEqual({
      kind: 'partial',
      range: { start: 0, end: 99 },
    });
  });

  it('answers 416 for ranges past the end', () => {
    expect(parseRange('bytes=100-', 100)).toEqual({ kind: 'unsatisfiable' });
    expect(parseRange('bytes=-0', 100)).toEqual({ kind: 'unsatisfiable' });
  });
});

describe('validators', () => {
  const etag = '"sha256-abc"';
  const modified = new Date('2026-03-02T10:00:00.500Z');

  it('honours If-Range only when the ETag or the date still matches', () => {
    expect(ifRangeMatches(undefined, etag, modified)).toBe(true);
    expect(ifRangeMatches('"sha256-abc"', etag, modified)).toBe(true);
    expect(ifRangeMatches('"sha256-old"', etag, modified)).toBe(false);
    expect(ifRangeMatches('W/"sha256-abc"', etag, modified)).toBe(false);
    expect(ifRangeMatches(modified.toUTCString(), etag, modified)).toBe(true);
    expect(ifRangeMatches('Mon, 02 Mar 2026 09:00:00 GMT', etag, modified)).toBe(false);
  });

  it('matches If-None-Match lists and *', () => {
    expect(noneMatch('"x", "sha256-abc"', etag)).toBe(true);
    expect(noneMatch('W/"sha256-abc"', etag)).toBe(true);
    expect(noneMatch('*', etag)).toBe(true);
    expect(noneMatch('"x"', etag)).toBe(false);
    expect(noneMatch(undefined, etag)).toBe(false);
  });
});
