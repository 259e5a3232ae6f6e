/**
 * Offsets poll starts so devices on one gateway do not all fire on the same tick
 * (thingsboard-gateway#799). Deterministic per key, spread over the period.
 */
export function staggerOffsetMs(key: string, periodMs: number): number {
  if (periodMs <= 0) return 0;
  // FNV-1a: a cheap, well-spread hash of the device id.
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % periodMs;
}

/** Even spacing when the devices of a bus are known: device i of n starts at i/n of the period. */
export function evenStaggerMs(index: number, count: number, periodMs: number): number {
  if (count <= 0 || periodMs <= 0) return 0;
  return Math.floor((index % count) * (periodMs / count));
}
