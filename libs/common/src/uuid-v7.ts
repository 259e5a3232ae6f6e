import { randomBytes } from 'node:crypto';

/**
 * RFC 9562 UUIDv7: time-ordered, so primary keys insert at the end of the index and cursor
 * pagination by id follows creation order. A 12-bit counter keeps ids monotonic within a millisecond.
 */
export function createUuidV7Generator(clock: () => number = Date.now): () => string {
  let lastMs = 0;
  let sequence = 0;
  return () => {
    let now = clock();
    if (now <= lastMs) {
      sequence = (sequence + 1) & 0xfff;
      if (sequence === 0) lastMs += 1;
      now = lastMs;
    } else {
      lastMs = now;
      sequence = randomBytes(2).readUInt16BE(0) & 0x7ff;
    }
    const bytes = randomBytes(16);
    bytes.writeUIntBE(now, 0, 6);
    bytes[6] = 0x70 | (sequence >> 8);
    bytes[7] = sequence & 0xff;
    bytes[8] = 0x80 | (bytes[8] & 0x3f);
    const hex = bytes.toString('hex');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  };
}

export const uuidv7: () => string = createUuidV7Generator();

export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
