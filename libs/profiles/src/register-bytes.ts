import type { ByteOrder } from './profile.types.js';

/**
 * Multi-register values: ABCD means the first register holds the most significant word and each
 * register is big-endian. CDAB swaps words (least significant word first), BADC swaps the bytes in
 * each register, DCBA does both (fully little-endian). 64-bit values generalise the same way.
 */
function swapsWords(order: ByteOrder): boolean {
  return order === 'CDAB' || order === 'DCBA';
}

function swapsBytes(order: ByteOrder): boolean {
  return order === 'BADC' || order === 'DCBA';
}

/** Registers as read (register order) → value bytes, most significant first. */
export function wordsToBytes(words: ArrayLike<number>, order: ByteOrder): Uint8Array {
  const list = Array.from(words);
  if (swapsWords(order)) list.reverse();
  const out = new Uint8Array(list.length * 2);
  list.forEach((w, i) => {
    const hi = Math.floor(w / 256);
    const lo = w % 256;
    out[2 * i] = swapsBytes(order) ? lo : hi;
    out[2 * i + 1] = swapsBytes(order) ? hi : lo;
  });
  return out;
}

/** Value bytes, most significant first → registers in the order the device stores them. */
export function bytesToWords(bytes: Uint8Array, order: ByteOrder): number[] {
  const words: number[] = [];
  for (let i = 0; i < bytes.length; i += 2) {
    const hi = bytes[i] ?? 0;
    const lo = bytes[i + 1] ?? 0;
    words.push(swapsBytes(order) ? lo * 256 + hi : hi * 256 + lo);
  }
  if (swapsWords(order)) words.reverse();
  return words;
}
