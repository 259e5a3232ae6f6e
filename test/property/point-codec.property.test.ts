import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodePoint,
  encodePoint,
  loadProfileCatalog,
  PointCodecError,
  type ByteOrder,
  type RawPointData,
  type PointDefinition,
} from '@fleet/profiles';
import { propertyParameters } from '../support/security/property-budget.js';

/**
 * The point codec: what turns a Modbus reply's registers into engineering values (byte and word
 * order, scale, offset, enums, bitfields, strings) and values back into registers for writes.
 * Random register data for every point of every shipped profile, and synthetic points across
 * every numeric type, byte order, scale and offset.
 */
const catalog = await loadProfileCatalog();
const shippedPoints: PointDefinition[] = catalog.list().flatMap((p) => [...p.points]);
const CODES = ['WRONG_LENGTH', 'WRONG_TYPE', 'OUT_OF_RANGE', 'UNKNOWN_LABEL', 'NOT_ENCODABLE'];

const isBitPoint = (p: PointDefinition): boolean =>
  p.line !== undefined || p.table === 'coil' || p.table === 'discrete';

const word = fc.integer({ min: 0, max: 0xffff });
const hostileCell = fc.oneof(
  word,
  fc.integer({ min: -70_000, max: 140_000 }),
  fc.double(),
  fc.boolean(),
  fc.constantFrom(Number.NaN, Infinity, -0, 0.5),
);

function expectTypedRefusal(point: PointDefinition, run: () => unknown): unknown {
  try {
    return run();
  } catch (error) {
    expect(error).toBeInstanceOf(PointCodecError);
    const e = error as PointCodecError;
    expect(CODES).toContain(e.code);
    expect(e.message.startsWith(`${point.name}: `)).toBe(true);
    return error;
  }
}

const NUMERIC = ['int16', 'uint16', 'int32', 'uint32', 'float32', 'float64'] as const;
const COUNT: Record<(typeof NUMERIC)[number], number> = {
  int16: 1,
  uint16: 1,
  int32: 2,
  uint32: 2,
  float32: 2,
  float64: 4,
};

const syntheticPoint: fc.Arbitrary<PointDefinition> = fc
  .record({
    type: fc.constantFrom(...NUMERIC),
    byteOrder: fc.constantFrom<ByteOrder>('ABCD', 'CDAB', 'BADC', 'DCBA'),
    scale: fc.constantFrom(1, 0.1, 0.01, 0.001, 10, 0.5, 2),
    offset: fc.constantFrom(0, -40, 100),
  })
  .map(({ type, byteOrder, scale, offset }) => ({
    name: `p_${type}_${byteOrder}`,
    table: 'holding',
    address: 0,
    count: COUNT[type],
    type,
    byteOrder,
    scale,
    offset,
    access: 'rw',
    pollGroup: 'default',
    pollPeriodMs: 10_000,
    deadband: 0,
  }));

describe('point codec under random registers', () => {
  it('every shipped point decodes random data to a value or a PointCodecError naming the point; well-formed registers always decode', () => {
    expect(shippedPoints.length).toBeGreaterThan(50);
    fc.assert(
      fc.property(
        fc.constantFrom(...shippedPoints),
        fc.oneof(
          fc.array(hostileCell, { maxLength: 10 }),
          fc.constant(null).chain(() => fc.array(word, { minLength: 1, maxLength: 8 })),
        ),
        (point, data) => {
          // Deliberately mixed cells, as a broken driver might hand over.
          const raw = data as unknown as RawPointData;
          const result = expectTypedRefusal(point, () => decodePoint(point, raw));
          const wellFormed =
            !isBitPoint(point) &&
            data.length === point.count &&
            data.every(
              (w) => typeof w === 'number' && Number.isInteger(w) && w >= 0 && w <= 0xffff,
            );
          if (wellFormed) expect(result).not.toBeInstanceOf(PointCodecError);
        },
      ),
      propertyParameters(),
    );
  });

  it('registers of the right length for any type, byte order, scale and offset decode; encoding the value gives the registers back', () => {
    const cases = syntheticPoint.chain((point) =>
      fc
        .array(word, { minLength: point.count, maxLength: point.count })
        .map((words) => ({ point, words })),
    );
    let roundTrips = 0;
    fc.assert(
      fc.property(cases, ({ point, words }) => {
        const value = decodePoint(point, words);
        expect(typeof value).toBe('number');
        if (!Number.isFinite(value)) {
          // NaN and infinities of float registers are not values a write may send.
          expectTypedRefusal(point, () => encodePoint(point, value));
          return;
        }
        const encoded = expectTypedRefusal(point, () => encodePoint(point, value));
        if (encoded instanceof PointCodecError) {
          // Only a scaled float may land outside its storage type once scaled back.
          expect(point.type.startsWith('float') || encoded.code === 'OUT_OF_RANGE').toBe(true);
          return;
        }
        // Integers come back exactly; floats to their value (-0 and +0, or a NaN payload, aside).
        if (point.type.startsWith('float')) {
          expect(decodePoint(point, encoded as number[])).toBeCloseTo(value as number, 6);
        } else {
          expect(encoded).toEqual(words);
          roundTrips += 1;
        }
      }),
      propertyParameters(),
    );
    expect(roundTrips).toBeGreaterThan(3000);
  });
});
