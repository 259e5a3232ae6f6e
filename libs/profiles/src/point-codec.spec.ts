import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodePoint,
  encodePoint,
  PointCodecError,
  pointRegisterCount,
  type ByteOrder,
  type DataType,
  type PointDefinition,
} from '@fleet/profiles';

function point(type: DataType, extra: Partial<PointDefinition> = {}): PointDefinition {
  return {
    name: `p_${type}`,
    table: 'holding',
    address: 0,
    count: pointRegisterCount(type, extra.length, extra.rawType),
    type,
    byteOrder: 'ABCD',
    scale: 1,
    offset: 0,
    access: 'rw',
    pollGroup: 'default',
    pollPeriodMs: 1000,
    deadband: 0,
    ...extra,
  };
}

// Expected words computed independently (Python struct.pack, big-endian, then reordered by hand):
// value bytes A B C D (most significant first); ABCD = [AB, CD], CDAB = [CD, AB],
// BADC = [BA, DC], DCBA = [DC, BA]; 64-bit values generalise the same way.
const VECTORS: { type: DataType; value: number | bigint; words: Record<ByteOrder, number[]> }[] = [
  {
    type: 'int16',
    value: -12345,
    words: { ABCD: [0xcfc7], CDAB: [0xcfc7], BADC: [0xc7cf], DCBA: [0xc7cf] },
  },
  {
    type: 'uint16',
    value: 51234,
    words: { ABCD: [0xc822], CDAB: [0xc822], BADC: [0x22c8], DCBA: [0x22c8] },
  },
  {
    type: 'int32',
    value: -123456789,
    words: {
      ABCD: [0xf8a4, 0x32eb],
      CDAB: [0x32eb, 0xf8a4],
      BADC: [0xa4f8, 0xeb32],
      DCBA: [0xeb32, 0xa4f8],
    },
  },
  {
    type: 'uint32',
    value: 3000000000,
    words: {
      ABCD: [0xb2d0, 0x5e00],
      CDAB: [0x5e00, 0xb2d0],
      BADC: [0xd0b2, 0x005e],
      DCBA: [0x005e, 0xd0b2],
    },
  },
  {
    // float32(230.1) rounds to 0x4366199A (230.10000610351562).
    type: 'float32',
    value: Math.fround(230.1),
    words: {
      ABCD: [0x4366, 0x199a],
      CDAB: [0x199a, 0x4366],
      BADC: [0x6643, 0x9a19],
      DCBA: [0x9a19, 0x6643],
    },
  },
  {
    type: 'int64',
    value: -1234567890123456789n,
    words: {
      ABCD: [0xeedd, 0xef0b, 0x8216, 0x7eeb],
      CDAB: [0x7eeb, 0x8216, 0xef0b, 0xeedd],
      BADC: [0xddee, 0x0bef, 0x1682, 0xeb7e],
      DCBA: [0xeb7e, 0x1682, 0x0bef, 0xddee],
    },
  },
  {
    type: 'uint64',
    value: 18446744073709551000n,
    words: {
      ABCD: [0xffff, 0xffff, 0xffff, 0xfd98],
      CDAB: [0xfd98, 0xffff, 0xffff, 0xffff],
      BADC: [0xffff, 0xffff, 0xffff, 0x98fd],
      DCBA: [0x98fd, 0xffff, 0xffff, 0xffff],
    },
  },
  {
    type: 'float64',
    value: 49.98,
    words: {
      ABCD: [0x4048, 0xfd70, 0xa3d7, 0x0a3d],
      CDAB: [0x0a3d, 0xa3d7, 0xfd70, 0x4048],
      BADC: [0x4840, 0x70fd, 0xd7a3, 0x3d0a],
      DCBA: [0x3d0a, 0xd7a3, 0x70fd, 0x4840],
    },
  },
];

describe('decodePoint / encodePoint', () => {
  for (const v of VECTORS) {
    for (const order of ['ABCD', 'CDAB', 'BADC', 'DCBA'] as const) {
      it(`${v.type} ${order}: ${String(v.value)} ⇄ ${v.words[order].map((w) => w.toString(16)).join(' ')}`, () => {
        const p = point(v.type, { byteOrder: order });
        expect(decodePoint(p, v.words[order])).toEqual(v.value);
        expect(encodePoint(p, v.value)).toEqual(v.words[order]);
      });
    }
  }

  it('decodes from a Uint16Array as modbus clients return it', () => {
    expect(decodePoint(point('float32'), Uint16Array.of(0x4248, 0x0000))).toBe(50);
  });

  it('applies scale and offset, and inverts them on encode with rounding', () => {
    const volts = point('uint16', { scale: 0.1, unit: 'V' });
    expect(decodePoint(volts, [2301])).toBe(230.1);
    expect(encodePoint(volts, 230.1)).toEqual([2301]);
    expect(encodePoint(volts, 230.14)).toEqual([2301]);
    expect(encodePoint(volts, 230.16)).toEqual([2302]);
    const temp = point('int16', { scale: 0.1, offset: -40, unit: '°C' });
    expect(decodePoint(temp, [0x0253])).toBe(19.5); // 595 * 0.1 - 40
    expect(encodePoint(temp, -45.5)).toEqual([0xffc9]); // raw -55
    const kwh = point('uint32', { scale: 0.001, unit: 'kWh' });
    expect(decodePoint(kwh, [0x0001, 0xe240])).toBe(123.456); // 123456 Wh
  });

  it('range-checks integers after scaling with an error naming the point and type', () => {
    const volts = point('uint16', { name: 'voltage', scale: 0.1, unit: 'V' });
    expect(() => encodePoint(volts, 7000)).toThrow(
      'voltage: 7000 V (raw 70000) does not fit uint16 (0..65535)',
    );
    expect(() => encodePoint(point('int16'), 40000)).toThrow(PointCodecError);
    expect(() => encodePoint(point('uint32'), -1)).toThrow('does not fit uint32 (0..4294967295)');
    expect(() => encodePoint(point('uint64'), -1n)).toThrow('does not fit uint64');
  });

  it('enforces the point min/max in engineering units', () => {
    const dim = point('uint16', { name: 'dim_level', min: 0, max: 100, unit: '%' });
    expect(encodePoint(dim, 100)).toEqual([100]);
    let err: unknown;
    try {
      encodePoint(dim, 140);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PointCodecError);
    expect((err as PointCodecError).code).toBe('OUT_OF_RANGE');
    expect((err as Error).message).toBe('dim_level: 140 is out of range 0..100 %');
  });

  it('rejects non-finite and float32-overflowing values', () => {
    expect(() => encodePoint(point('float32'), Number.NaN)).toThrow('must be a finite number');
    expect(() => encodePoint(point('float32'), 1e39)).toThrow('does not fit a float32');
    expect(encodePoint(point('float64'), 1e39)).toHaveLength(4);
  });

  it('keeps 64-bit integers exact through BigInt (beyond 2^53)', () => {
    const p = point('uint64');
    const big = 2n ** 53n + 1n;
    expect(decodePoint(p, encodePoint(p, big))).toBe(big);
    const scaled = point('uint64', { scale: 0.001 });
    expect(decodePoint(scaled, [0, 0, 0x0001, 0xe240])).toBe(123.456);
  });

  it('checks the register count and word range', () => {
    expect(() => decodePoint(point('float32'), [0x4366])).toThrow(
      'p_float32: needs 2 registers, got 1',
    );
    expect(() => decodePoint(point('uint16'), [70000])).toThrow(
      'register 0 must be an integer 0..65535',
    );
  });

  it('handles bools: coils, discrete inputs, GPIO lines, whole registers and bits in registers', () => {
    const coil = point('bool', { table: 'coil' });
    expect(decodePoint(coil, [true])).toBe(true);
    expect(decodePoint(coil, [0])).toBe(false);
    expect(encodePoint(coil, true)).toEqual([true]);
    expect(encodePoint(coil, 0)).toEqual([false]);
    expect(() => encodePoint(coil, 'on')).toThrow('must be true/false');
    const gpio: PointDefinition = { ...point('bool'), table: undefined, line: 'GPIO17' };
    delete gpio.table;
    expect(encodePoint(gpio, true)).toEqual([true]);
    const reg = point('bool');
    expect(decodePoint(reg, [0x0100])).toBe(true);
    expect(encodePoint(reg, true)).toEqual([1]);
    const bit = point('bool', { bit: 10, access: 'r' });
    expect(decodePoint(bit, [0x0400])).toBe(true);
    expect(decodePoint(bit, [0xfbff])).toBe(false);
    expect(() => encodePoint(bit, true)).toThrow(
      'is bit 10 of a register and cannot be written on its own',
    );
  });

  it('maps enums both ways, including float32-stored codes (Eastron settings)', () => {
    const mode = point('enum', { enumValues: { 0: 'manual', 1: 'schedule', 2: 'photocell' } });
    expect(decodePoint(mode, [1])).toBe('schedule');
    expect(decodePoint(mode, [7])).toBe(7);
    expect(encodePoint(mode, 'photocell')).toEqual([2]);
    expect(encodePoint(mode, 0)).toEqual([0]);
    expect(() => encodePoint(mode, 'off')).toThrow(
      '"off" is not one of: manual, schedule, photocell',
    );
    const baud = point('enum', {
      rawType: 'float32',
      count: 2,
      enumValues: { 0: '2400', 2: '9600' },
    });
    expect(decodePoint(baud, [0x4000, 0x0000])).toBe('9600'); // float32 2.0
    expect(encodePoint(baud, '9600')).toEqual([0x4000, 0x0000]);
  });

  it('decodes bitfields to named flags (16 and 32 bits) and encodes them back', () => {
    const faults = point('bitfield', {
      bits: { 0: 'lamp_failure', 1: 'driver_failure', 4: 'over_temperature' },
    });
    expect(decodePoint(faults, [0x0011])).toEqual({
      lamp_failure: true,
      driver_failure: false,
      over_temperature: true,
    });
    expect(encodePoint(faults, { lamp_failure: true, over_temperature: true })).toEqual([0x0011]);
    expect(() => encodePoint(faults, { smoke: true })).toThrow('unknown flag "smoke"');
    const wide = point('bitfield', {
      rawType: 'uint32',
      count: 2,
      bits: { 31: 'top', 0: 'bottom' },
    });
    expect(decodePoint(wide, [0x8000, 0x0001])).toEqual({ top: true, bottom: true });
    expect(encodePoint(wide, { top: true })).toEqual([0x8000, 0x0000]);
  });

  it('reads and writes ASCII strings, high byte first unless bytes are swapped', () => {
    const serial = point('string', { length: 8 });
    expect(serial.count).toBe(4);
    expect(decodePoint(serial, [0x5344, 0x4d36, 0x3330, 0x0000])).toBe('SDM630');
    expect(encodePoint(serial, 'SDM630')).toEqual([0x5344, 0x4d36, 0x3330, 0x0000]);
    const swapped = point('string', { length: 4, byteOrder: 'BADC' });
    expect(decodePoint(swapped, [0x4453, 0x364d])).toBe('SDM6');
    expect(() => encodePoint(serial, 'TOO-LONG-1')).toThrow('is at most 8 characters');
  });

  it('round-trips every integer of every type and order (property)', () => {
    const orders = fc.constantFrom<ByteOrder>('ABCD', 'CDAB', 'BADC', 'DCBA');
    const ints: [DataType, fc.Arbitrary<number | bigint>][] = [
      ['int16', fc.integer({ min: -32768, max: 32767 })],
      ['uint16', fc.integer({ min: 0, max: 65535 })],
      ['int32', fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 })],
      ['uint32', fc.integer({ min: 0, max: 2 ** 32 - 1 })],
      ['int64', fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n })],
      ['uint64', fc.bigInt({ min: 0n, max: 2n ** 64n - 1n })],
      ['float32', fc.float({ noNaN: true, noDefaultInfinity: true })],
      ['float64', fc.double({ noNaN: true, noDefaultInfinity: true })],
    ];
    for (const [type, arb] of ints) {
      fc.assert(
        fc.property(arb, orders, (value, byteOrder) => {
          const p = point(type, { byteOrder });
          const words = encodePoint(p, value) as number[];
          expect(words).toHaveLength(p.count);
          expect(decodePoint(p, words)).toEqual(value);
        }),
      );
    }
  });
});
