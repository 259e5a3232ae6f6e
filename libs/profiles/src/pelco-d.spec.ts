import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  buildPelcoDFrame,
  buildPelcoDPositionReply,
  decodePelcoDReply,
  describePelcoDFrame,
  parsePelcoDFrame,
  pelcoD,
  PelcoDFrameError,
  pelcoDMotion,
  pelcoDStop,
  type PelcoDMotion,
} from '@fleet/profiles';

const bytes = (hex: string): number[] => hex.split(' ').map((h) => parseInt(h, 16));
const hex = (b: Uint8Array): string =>
  Array.from(b, (x) => x.toString(16).padStart(2, '0').toUpperCase()).join(' ');

// FIELD-NOTES §2.3, worked examples for address 1.
const WORKED: [string, PelcoDMotion | 'stop', string][] = [
  ['Right', { pan: 0x20 }, 'FF 01 00 02 20 00 23'],
  ['Left', { pan: -0x23 }, 'FF 01 00 04 23 00 28'],
  ['Up', { tilt: 0x23 }, 'FF 01 00 08 00 23 2C'],
  ['Down', { tilt: -0x23 }, 'FF 01 00 10 00 23 34'],
  ['Zoom in', { zoom: 1 }, 'FF 01 00 20 00 00 21'],
  ['Zoom out', { zoom: -1 }, 'FF 01 00 40 00 00 41'],
  ['Focus far', { focus: 1 }, 'FF 01 00 80 00 00 81'],
  ['Focus near', { focus: -1 }, 'FF 01 01 00 00 00 02'],
  ['Iris open', { iris: 1 }, 'FF 01 02 00 00 00 03'],
  ['Stop', 'stop', 'FF 01 00 00 00 00 01'],
];

describe('Pelco-D framing', () => {
  for (const [name, motion, frame] of WORKED) {
    it(`builds and parses the worked example "${name}": ${frame}`, () => {
      const built = motion === 'stop' ? pelcoDStop(1) : pelcoDMotion(1, motion);
      expect(hex(built)).toBe(frame);
      const parsed = parsePelcoDFrame(bytes(frame));
      const described = describePelcoDFrame(parsed);
      if (motion === 'stop') {
        expect(described).toEqual({ kind: 'stop' });
      } else {
        expect(described).toMatchObject({
          kind: 'motion',
          motion: { pan: 0, tilt: 0, zoom: 0, focus: 0, iris: 0, ...motion },
        });
      }
    });
  }

  it('computes the checksum as the sum of bytes 2..6 mod 256 (sync excluded)', () => {
    // 0xC8 + 0x00 + 0x0C + 0x3F + 0x3F = 0x152 → 0x52
    expect(
      hex(buildPelcoDFrame({ address: 0xc8, cmd1: 0, cmd2: 0x0c, data1: 0x3f, data2: 0x3f })),
    ).toBe('FF C8 00 0C 3F 3F 52');
  });

  it('rejects frames with a bad sync, a bad checksum or a wrong length, with typed errors', () => {
    const err = (b: number[]): PelcoDFrameError => {
      try {
        parsePelcoDFrame(b);
      } catch (e) {
        return e as PelcoDFrameError;
      }
      throw new Error('no error');
    };
    expect(err(bytes('FE 01 00 02 20 00 23'))).toMatchObject({ code: 'BAD_SYNC' });
    const bad = err(bytes('FF 01 00 02 20 00 24'));
    expect(bad).toBeInstanceOf(PelcoDFrameError);
    expect(bad.code).toBe('BAD_CHECKSUM');
    expect(bad.message).toBe('Pelco-D checksum is 24, expected 23 (FF 01 00 02 20 00 24)');
    expect(err(bytes('FF 01 00 02 20 00'))).toMatchObject({ code: 'BAD_LENGTH' });
  });

  it('refuses out-of-range fields instead of wrapping them', () => {
    expect(() => pelcoDMotion(1, { pan: 65 })).toThrow(
      'Pelco-D pan speed must be an integer 0..64, got 65',
    );
    expect(() => pelcoDMotion(1, { tilt: 64 })).toThrow('tilt speed');
    expect(() => pelcoDStop(0)).toThrow('Pelco-D address must be an integer 1..255, got 0');
    expect(() => pelcoD.gotoPreset(1, 0)).toThrow('preset');
  });

  it('sends turbo (0xFF) for pan speed 64', () => {
    expect(hex(pelcoDMotion(1, { pan: 64 }))).toBe('FF 01 00 02 FF 00 02');
    expect(describePelcoDFrame(parsePelcoDFrame(pelcoDMotion(1, { pan: -64 })))).toMatchObject({
      motion: { pan: -64 },
    });
  });

  it('builds the extended commands: presets, aux, absolute positions, queries', () => {
    expect(hex(pelcoD.setPreset(1, 4))).toBe('FF 01 00 03 00 04 08');
    expect(hex(pelcoD.clearPreset(1, 4))).toBe('FF 01 00 05 00 04 0A');
    expect(hex(pelcoD.gotoPreset(1, 4))).toBe('FF 01 00 07 00 04 0C');
    expect(hex(pelcoD.gotoPreset(2, 0x22))).toBe('FF 02 00 07 00 22 2B');
    expect(hex(pelcoD.setAux(1, 1))).toBe('FF 01 00 09 00 01 0B');
    expect(hex(pelcoD.clearAux(1, 1))).toBe('FF 01 00 0B 00 01 0D');
    // 90.00° = 9000 hundredths = 0x2328
    expect(hex(pelcoD.setPanPosition(1, 9000))).toBe('FF 01 00 4B 23 28 97');
    expect(hex(pelcoD.setTiltPosition(1, 0))).toBe('FF 01 00 4D 00 00 4E');
    expect(hex(pelcoD.queryPan(1))).toBe('FF 01 00 51 00 00 52');
    expect(hex(pelcoD.queryTilt(1))).toBe('FF 01 00 53 00 00 54');
    expect(hex(pelcoD.queryZoom(1))).toBe('FF 01 00 55 00 00 56');
    expect(describePelcoDFrame(parsePelcoDFrame(pelcoD.gotoPreset(1, 4)))).toEqual({
      kind: 'goto-preset',
      preset: 4,
    });
    expect(describePelcoDFrame(parsePelcoDFrame(pelcoD.queryTilt(1)))).toEqual({
      kind: 'query',
      axis: 'tilt',
    });
  });

  it('decodes position replies (0x59 pan, 0x5B tilt, 0x5D zoom) and rejects other frames', () => {
    // pan 123.45° = 12345 = 0x3039: 01 + 00 + 59 + 30 + 39 = 0xC3
    expect(decodePelcoDReply(bytes('FF 01 00 59 30 39 C3'))).toEqual({
      address: 1,
      kind: 'pan',
      value: 12345,
    });
    expect(hex(buildPelcoDPositionReply(1, 'pan', 12345))).toBe('FF 01 00 59 30 39 C3');
    expect(decodePelcoDReply(buildPelcoDPositionReply(7, 'zoom', 0x1234))).toEqual({
      address: 7,
      kind: 'zoom',
      value: 0x1234,
    });
    expect(() => decodePelcoDReply(bytes('FF 01 00 02 20 00 23'))).toThrow(PelcoDFrameError);
  });

  it('round-trips any frame through build and parse (property)', () => {
    const byte = fc.integer({ min: 0, max: 255 });
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 255 }),
        byte,
        byte,
        byte,
        byte,
        (address, cmd1, cmd2, data1, data2) => {
          const f = { address, cmd1, cmd2, data1, data2 };
          expect(parsePelcoDFrame(buildPelcoDFrame(f))).toEqual(f);
        },
      ),
    );
  });
});
