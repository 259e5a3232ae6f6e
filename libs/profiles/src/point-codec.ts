import { PointCodecError } from './point-codec.error.js';
import { bytesToWords, wordsToBytes } from './register-bytes.js';
import type { DataType, PointDefinition, PointValue, RawType } from './profile.types.js';

/** What a Modbus read returns: uint16 registers, or bits for coils/discrete inputs/GPIO lines. */
export type RawPointData = readonly number[] | readonly boolean[] | Uint16Array;

/** What encodePoint produces: registers for holding, bits for coils and GPIO lines. */
export type EncodedPoint = number[] | boolean[];

type IntType = 'int16' | 'uint16' | 'int32' | 'uint32' | 'int64' | 'uint64';

const INT_RANGE: Readonly<Record<IntType, readonly [bigint, bigint]>> = {
  int16: [-(2n ** 15n), 2n ** 15n - 1n],
  uint16: [0n, 2n ** 16n - 1n],
  int32: [-(2n ** 31n), 2n ** 31n - 1n],
  uint32: [0n, 2n ** 32n - 1n],
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
  uint64: [0n, 2n ** 64n - 1n],
};

const FLOAT32_MAX = 3.4028234663852886e38;

function isBitPoint(point: PointDefinition): boolean {
  return point.line !== undefined || point.table === 'coil' || point.table === 'discrete';
}

function unitSuffix(point: PointDefinition): string {
  return point.unit ? ` ${point.unit}` : '';
}

function show(value: unknown): string {
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'object' && value !== null) return JSON.stringify(value);
  return String(value);
}

/** raw * scale + offset, dividing by 1/scale when that is an integer so 2301 * 0.1 reads 230.1. */
function applyScale(raw: number, point: PointDefinition): number {
  let v = raw;
  if (point.scale !== 1) {
    const inv = 1 / point.scale;
    const k = Math.round(inv);
    v = k !== 0 && Math.abs(inv - k) < 1e-9 ? raw / k : raw * point.scale;
  }
  return point.offset === 0 ? v : v + point.offset;
}

function unscale(value: number, point: PointDefinition): number {
  const v = value - point.offset;
  if (point.scale === 1) return v;
  const inv = 1 / point.scale;
  const k = Math.round(inv);
  return k !== 0 && Math.abs(inv - k) < 1e-9 ? v * k : v / point.scale;
}

function readWords(point: PointDefinition, data: RawPointData): number[] {
  if (data.length !== point.count) {
    throw new PointCodecError(
      'WRONG_LENGTH',
      point.name,
      `needs ${point.count} register${point.count === 1 ? '' : 's'}, got ${data.length}`,
    );
  }
  return Array.from(data as ArrayLike<number | boolean>, (w, i) => {
    if (typeof w !== 'number' || !Number.isInteger(w) || w < 0 || w > 0xffff) {
      throw new PointCodecError(
        'WRONG_TYPE',
        point.name,
        `register ${i} must be an integer 0..65535, got ${show(w)}`,
      );
    }
    return w;
  });
}

function readRaw(type: IntType | 'float32' | 'float64', view: DataView): number | bigint {
  switch (type) {
    case 'int16':
      return view.getInt16(0);
    case 'uint16':
      return view.getUint16(0);
    case 'int32':
      return view.getInt32(0);
    case 'uint32':
      return view.getUint32(0);
    case 'int64':
      return view.getBigInt64(0);
    case 'uint64':
      return view.getBigUint64(0);
    case 'float32':
      return view.getFloat32(0);
    case 'float64':
      return view.getFloat64(0);
  }
}

function decodeInteger(point: PointDefinition, words: number[], type: RawType): number {
  const bytes = wordsToBytes(words, point.byteOrder);
  const raw = readRaw(type, new DataView(bytes.buffer));
  return typeof raw === 'bigint' ? Number(raw) : raw;
}

/** Decodes the registers (or bits) of one point into its engineering value. */
export function decodePoint(point: PointDefinition, data: RawPointData): PointValue {
  if (isBitPoint(point)) {
    if (data.length !== 1) {
      throw new PointCodecError('WRONG_LENGTH', point.name, `needs 1 bit, got ${data.length}`);
    }
    const b = data[0];
    if (typeof b === 'boolean') return b;
    if (b === 0 || b === 1) return b === 1;
    throw new PointCodecError(
      'WRONG_TYPE',
      point.name,
      `a bit must be true/false or 0/1, got ${show(b)}`,
    );
  }
  const words = readWords(point, data);
  const type: DataType = point.type;
  switch (type) {
    case 'bool': {
      const w = words[0] ?? 0;
      return point.bit === undefined ? w !== 0 : Math.floor(w / 2 ** point.bit) % 2 === 1;
    }
    case 'int16':
    case 'uint16':
    case 'int32':
    case 'uint32':
    case 'float32':
    case 'float64':
      return applyScale(
        readRaw(type, new DataView(wordsToBytes(words, point.byteOrder).buffer)) as number,
        point,
      );
    case 'int64':
    case 'uint64': {
      const raw = readRaw(
        type,
        new DataView(wordsToBytes(words, point.byteOrder).buffer),
      ) as bigint;
      // Exact bigint unless the profile scales the value (then a number, precise to 2^53).
      return point.scale === 1 && point.offset === 0 ? raw : applyScale(Number(raw), point);
    }
    case 'string': {
      const swap = point.byteOrder === 'BADC' || point.byteOrder === 'DCBA';
      const chars: number[] = [];
      for (const w of words) {
        const hi = Math.floor(w / 256);
        const lo = w % 256;
        chars.push(...(swap ? [lo, hi] : [hi, lo]));
      }
      const end = chars.indexOf(0);
      return String.fromCharCode(...(end < 0 ? chars : chars.slice(0, end))).replace(/ +$/, '');
    }
    case 'enum': {
      const raw = decodeInteger(point, words, point.rawType ?? 'uint16');
      const key = Math.round(raw);
      // Unknown raw values come back as the number so nothing is lost.
      return point.enumValues?.[key] ?? key;
    }
    case 'bitfield': {
      const raw = decodeInteger(point, words, point.rawType ?? 'uint16');
      const flags: Record<string, boolean> = {};
      for (const [bit, name] of Object.entries(point.bits ?? {})) {
        flags[name] = Math.floor(raw / 2 ** Number(bit)) % 2 === 1;
      }
      return flags;
    }
  }
}

function checkBounds(point: PointDefinition, value: number): void {
  const { min, max } = point;
  if ((min !== undefined && value < min) || (max !== undefined && value > max)) {
    const range = `${min ?? '-∞'}..${max ?? '∞'}${unitSuffix(point)}`;
    throw new PointCodecError('OUT_OF_RANGE', point.name, `${value} is out of range ${range}`);
  }
}

function toNumber(point: PointDefinition, value: PointValue): number | bigint {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) {
      throw new PointCodecError('WRONG_TYPE', point.name, `must be a finite number, got ${value}`);
    }
    return value;
  }
  if (typeof value === 'bigint') return value;
  throw new PointCodecError('WRONG_TYPE', point.name, `must be a number, got ${show(value)}`);
}

function writeRaw(
  point: PointDefinition,
  type: IntType | 'float32' | 'float64',
  raw: number | bigint,
  shown: string,
): number[] {
  const size =
    type === 'int16' || type === 'uint16'
      ? 2
      : type === 'int64' || type === 'uint64' || type === 'float64'
        ? 8
        : 4;
  const view = new DataView(new ArrayBuffer(size));
  if (type === 'float32' || type === 'float64') {
    const x = Number(raw);
    if (!Number.isFinite(x)) {
      throw new PointCodecError('OUT_OF_RANGE', point.name, `${shown} is not a finite number`);
    }
    if (type === 'float32') {
      if (Math.abs(x) > FLOAT32_MAX) {
        throw new PointCodecError('OUT_OF_RANGE', point.name, `${shown} does not fit a float32`);
      }
      view.setFloat32(0, x);
    } else {
      view.setFloat64(0, x);
    }
  } else {
    const int = typeof raw === 'bigint' ? raw : BigInt(Math.round(raw));
    const [lo, hi] = INT_RANGE[type];
    if (int < lo || int > hi) {
      throw new PointCodecError(
        'OUT_OF_RANGE',
        point.name,
        `${shown} (raw ${int}) does not fit ${type} (${lo}..${hi})`,
      );
    }
    switch (type) {
      case 'int16':
        view.setInt16(0, Number(int));
        break;
      case 'uint16':
        view.setUint16(0, Number(int));
        break;
      case 'int32':
        view.setInt32(0, Number(int));
        break;
      case 'uint32':
        view.setUint32(0, Number(int));
        break;
      case 'int64':
        view.setBigInt64(0, int);
        break;
      case 'uint64':
        view.setBigUint64(0, int);
        break;
    }
  }
  return bytesToWords(new Uint8Array(view.buffer), point.byteOrder);
}

function rawOf(rawType: RawType): IntType | 'float32' {
  return rawType;
}

/**
 * Encodes an engineering value into what is written: registers (holding) or bits (coil, GPIO).
 * Inverts scale and offset, rounds integers to the nearest raw step, and range-checks against
 * the point's min/max and the storage type, each with an error naming the point.
 */
export function encodePoint(point: PointDefinition, value: PointValue): EncodedPoint {
  if (isBitPoint(point) || (point.type === 'bool' && point.bit === undefined)) {
    let b: boolean;
    if (typeof value === 'boolean') b = value;
    else if (value === 0 || value === 1) b = value === 1;
    else {
      throw new PointCodecError(
        'WRONG_TYPE',
        point.name,
        `must be true/false (or 1/0), got ${show(value)}`,
      );
    }
    return isBitPoint(point) ? [b] : [b ? 1 : 0];
  }
  switch (point.type) {
    case 'bool':
      // A single bit inside a shared register needs read-modify-write; profiles may not write one.
      throw new PointCodecError(
        'NOT_ENCODABLE',
        point.name,
        `is bit ${point.bit} of a register and cannot be written on its own`,
      );
    case 'int16':
    case 'uint16':
    case 'int32':
    case 'uint32':
    case 'int64':
    case 'uint64':
    case 'float32':
    case 'float64': {
      const v = toNumber(point, value);
      if (typeof v === 'bigint') {
        if (point.type !== 'int64' && point.type !== 'uint64') {
          return encodePoint(point, Number(v));
        }
        checkBounds(point, Number(v));
        const raw = point.scale === 1 && point.offset === 0 ? v : unscale(Number(v), point);
        return writeRaw(point, point.type, raw, v.toString());
      }
      checkBounds(point, v);
      return writeRaw(point, point.type, unscale(v, point), `${v}${unitSuffix(point)}`);
    }
    case 'string': {
      if (typeof value !== 'string') {
        throw new PointCodecError('WRONG_TYPE', point.name, `must be a string, got ${show(value)}`);
      }
      const max = point.length ?? point.count * 2;
      if (value.length > max) {
        throw new PointCodecError(
          'OUT_OF_RANGE',
          point.name,
          `is at most ${max} characters, got ${value.length}`,
        );
      }
      if (!/^[\x20-\x7e]*$/.test(value)) {
        throw new PointCodecError('WRONG_TYPE', point.name, 'must be printable ASCII');
      }
      const swap = point.byteOrder === 'BADC' || point.byteOrder === 'DCBA';
      const words: number[] = [];
      for (let i = 0; i < point.count; i++) {
        const a = i * 2 < value.length ? value.charCodeAt(i * 2) : 0;
        const b = i * 2 + 1 < value.length ? value.charCodeAt(i * 2 + 1) : 0;
        words.push(swap ? b * 256 + a : a * 256 + b);
      }
      return words;
    }
    case 'enum': {
      const labels = point.enumValues ?? {};
      let raw: number | undefined;
      if (typeof value === 'string') {
        const hit = Object.entries(labels).find(([, label]) => label === value);
        raw = hit ? Number(hit[0]) : undefined;
      } else if (typeof value === 'number' && labels[value] !== undefined) {
        raw = value;
      }
      if (raw === undefined) {
        throw new PointCodecError(
          'UNKNOWN_LABEL',
          point.name,
          `${show(value)} is not one of: ${Object.values(labels).join(', ')}`,
        );
      }
      return writeRaw(point, rawOf(point.rawType ?? 'uint16'), raw, show(value));
    }
    case 'bitfield': {
      const names = point.bits ?? {};
      let raw = 0;
      if (typeof value === 'number' && Number.isInteger(value) && value >= 0) {
        raw = value;
      } else if (typeof value === 'object' && value !== null) {
        const known = new Map(Object.entries(names).map(([bit, name]) => [name, Number(bit)]));
        for (const [flag, on] of Object.entries(value)) {
          const bit = known.get(flag);
          if (bit === undefined) {
            throw new PointCodecError(
              'UNKNOWN_LABEL',
              point.name,
              `unknown flag "${flag}" (flags: ${[...known.keys()].join(', ')})`,
            );
          }
          if (on) raw += 2 ** bit;
        }
      } else {
        throw new PointCodecError(
          'WRONG_TYPE',
          point.name,
          `must be a map of flags or a raw integer, got ${show(value)}`,
        );
      }
      return writeRaw(point, rawOf(point.rawType ?? 'uint16'), raw, show(value));
    }
  }
}
