import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  buildPelcoDFrame,
  buildPelcoDPositionReply,
  decodePelcoDReply,
  describePelcoDFrame,
  parsePelcoDFrame,
  pelcoD,
  pelcoDMotion,
  PelcoDFrameError,
  type PelcoDFrame,
  type PelcoDPositionKind,
} from '@fleet/profiles';
import { propertyParameters, withinHangLimit } from '../support/security/property-budget.js';

const byte = fc.integer({ min: 0, max: 255 });
const frameArb: fc.Arbitrary<PelcoDFrame> = fc.record({
  address: fc.integer({ min: 1, max: 255 }),
  cmd1: byte,
  cmd2: byte,
  data1: byte,
  data2: byte,
});

/** Raw bytes as a serial line delivers them: noise, near-frames and frames with one bad byte. */
const wireBytes: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.uint8Array({ maxLength: 16 }),
  fc.uint8Array({ minLength: 7, maxLength: 7 }),
  fc.uint8Array({ minLength: 6, maxLength: 6 }).map((rest) => Uint8Array.of(0xff, ...rest)),
  frameArb.map((f) => buildPelcoDFrame(f)),
  fc
    .tuple(frameArb, fc.integer({ min: 0, max: 6 }), fc.integer({ min: 1, max: 255 }))
    .map(([f, at, delta]) => {
      const bytes = buildPelcoDFrame(f);
      bytes[at] = (bytes[at]! + delta) % 256;
      return bytes;
    }),
);

/** Anything an ArrayLike<number> may hold: the parser's declared input. */
const numberArrays: fc.Arbitrary<number[]> = fc.oneof(
  fc.array(fc.oneof(byte, fc.integer(), fc.double()), { minLength: 7, maxLength: 7 }),
  fc
    .tuple(
      frameArb,
      fc.integer({ min: 1, max: 6 }),
      fc.oneof(fc.integer({ min: 256 }), fc.integer({ max: -1 }), fc.double({ noInteger: true })),
    )
    .map(([f, at, bad]) => {
      const bytes = Array.from(buildPelcoDFrame(f));
      bytes[at] = bad;
      return bytes;
    }),
);

const PARSE_CODES = ['BAD_LENGTH', 'BAD_SYNC', 'BAD_CHECKSUM', 'BAD_FIELD'];

function parseOrError(bytes: ArrayLike<number>): PelcoDFrame | PelcoDFrameError {
  try {
    return withinHangLimit('parsePelcoDFrame', () => parsePelcoDFrame(bytes));
  } catch (error) {
    expect(error).toBeInstanceOf(PelcoDFrameError);
    return error as PelcoDFrameError;
  }
}

const isByte = (n: number): boolean => Number.isInteger(n) && n >= 0 && n <= 255;

describe('Pelco-D framing under random input', () => {
  it('any bytes parse to a frame or a PelcoDFrameError saying why; a single corrupted byte is always caught', () => {
    const seen = { frames: 0, refused: 0 };
    fc.assert(
      fc.property(wireBytes, (bytes) => {
        const result = parseOrError(bytes);
        if (result instanceof PelcoDFrameError) {
          seen.refused += 1;
          expect(PARSE_CODES).toContain(result.code);
          expect(result.message).toMatch(/^Pelco-D (frame|checksum)/);
          return;
        }
        seen.frames += 1;
        // Accepted only when it is exactly what the builder makes of the fields.
        const sum =
          (result.address + result.cmd1 + result.cmd2 + result.data1 + result.data2) % 256;
        expect(Array.from(bytes)).toEqual([
          0xff,
          result.address,
          result.cmd1,
          result.cmd2,
          result.data1,
          result.data2,
          sum,
        ]);
      }),
      propertyParameters(),
    );
    expect(seen.frames).toBeGreaterThan(500);
    expect(seen.refused).toBeGreaterThan(500);
  });

  it('frames holding values that are not bytes are refused', () => {
    fc.assert(
      fc.property(numberArrays, (values) => {
        const result = parseOrError(values);
        if (values.every(isByte)) return;
        expect(result).toBeInstanceOf(PelcoDFrameError);
      }),
      propertyParameters(),
    );
  });

  it('every frame the builder makes parses back to its fields and can be described', () => {
    fc.assert(
      fc.property(frameArb, (frame) => {
        const parsed = parsePelcoDFrame(buildPelcoDFrame(frame));
        expect(parsed).toEqual(frame);
        expect(() => describePelcoDFrame(parsed)).not.toThrow();
      }),
      propertyParameters(),
    );
  });

  it('position replies: random bytes decode to a reply or a typed error; built replies decode to their value', () => {
    const kinds: PelcoDPositionKind[] = ['pan', 'tilt', 'zoom'];
    fc.assert(
      fc.property(
        wireBytes,
        fc.integer({ min: 1, max: 255 }),
        fc.constantFrom(...kinds),
        fc.integer({ min: 0, max: 0xffff }),
        (bytes, address, kind, value) => {
          try {
            const reply = decodePelcoDReply(bytes);
            expect(kinds).toContain(reply.kind);
            expect(reply.value).toBeGreaterThanOrEqual(0);
            expect(reply.value).toBeLessThanOrEqual(0xffff);
          } catch (error) {
            expect(error).toBeInstanceOf(PelcoDFrameError);
            expect([...PARSE_CODES, 'NOT_A_REPLY']).toContain((error as PelcoDFrameError).code);
          }
          expect(decodePelcoDReply(buildPelcoDPositionReply(address, kind, value))).toEqual({
            address,
            kind,
            value,
          });
        },
      ),
      propertyParameters(),
    );
  });

  it('builders refuse out-of-range fields with BAD_FIELD naming the field; motions survive a round trip', () => {
    const speed = fc.oneof(fc.integer({ min: -70, max: 70 }), fc.integer(), fc.double());
    const dir = fc.oneof(fc.constantFrom(-1, 0, 1), fc.integer({ min: -3, max: 3 }), fc.double());
    fc.assert(
      fc.property(
        fc.oneof(fc.integer({ min: 1, max: 255 }), fc.integer(), fc.double()),
        fc.record(
          { pan: speed, tilt: speed, zoom: dir, focus: dir, iris: dir },
          { requiredKeys: [] },
        ),
        fc.oneof(fc.integer({ min: -5, max: 300 }), fc.double()),
        (address, motion, n) => {
          try {
            const frame = parsePelcoDFrame(pelcoDMotion(address, motion));
            const described = describePelcoDFrame(frame);
            // `+ 0` turns -0 into 0: a direction of -0 is no direction.
            const expected = {
              pan: (motion.pan ?? 0) + 0,
              tilt: (motion.tilt ?? 0) + 0,
              zoom: (motion.zoom ?? 0) + 0,
              focus: (motion.focus ?? 0) + 0,
              iris: (motion.iris ?? 0) + 0,
            };
            if (Object.values(expected).every((v) => v === 0)) {
              expect(described).toEqual({ kind: 'stop' });
            } else {
              expect(described).toMatchObject({ kind: 'motion', motion: expected });
            }
          } catch (error) {
            expect(error).toBeInstanceOf(PelcoDFrameError);
            expect((error as PelcoDFrameError).code).toBe('BAD_FIELD');
            expect((error as Error).message).toMatch(
              /^Pelco-D (address|pan speed|tilt speed|zoom|focus|iris) must be/,
            );
          }
          for (const build of [pelcoD.gotoPreset, pelcoD.setAux, pelcoD.setPanPosition]) {
            try {
              const bytes = build(address, n);
              expect(bytes).toHaveLength(7);
              expect(() => parsePelcoDFrame(bytes)).not.toThrow();
            } catch (error) {
              expect(error).toBeInstanceOf(PelcoDFrameError);
              expect((error as Error).message).toMatch(
                /^Pelco-D (address|preset|aux|position) must be/,
              );
            }
          }
        },
      ),
      propertyParameters(),
    );
  });
});
