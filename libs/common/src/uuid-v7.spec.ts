import { describe, expect, it } from 'vitest';
import { createUuidV7Generator, UUID_PATTERN } from '@fleet/common';

describe('uuidv7', () => {
  it('produces version-7 ids that sort in creation order, even within one millisecond', () => {
    const next = createUuidV7Generator(() => 1_700_000_000_000);
    const ids = Array.from({ length: 5000 }, next);
    expect(ids.every((id) => UUID_PATTERN.test(id) && id[14] === '7')).toBe(true);
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('encodes the timestamp in the first 48 bits', () => {
    const next = createUuidV7Generator(() => 0x0189_abcd_ef01);
    expect(next().startsWith('0189abcd-ef01')).toBe(true);
  });
});
