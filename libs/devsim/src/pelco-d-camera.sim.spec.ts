import { beforeAll, describe, expect, it } from 'vitest';
import {
  decodePelcoDReply,
  loadProfileCatalog,
  resolveCommand,
  resolveSafetyStop,
  type DeviceProfile,
  type Operation,
} from '@fleet/profiles';
import { PelcoDCameraSim } from '@fleet/devsim';

describe('PelcoDCameraSim', () => {
  let profile: DeviceProfile;
  let now: number;
  let cam: PelcoDCameraSim;

  beforeAll(async () => {
    profile = (await loadProfileCatalog()).get('pelco-d-camera');
  });

  const fresh = (address = 1): void => {
    now = 0;
    cam = new PelcoDCameraSim({
      clock: () => now,
      address,
      maxPanDegPerSec: 60,
      maxTiltDegPerSec: 30,
    });
  };

  /** Runs operations the way a runtime does: frames on the line, delays on the clock. */
  const run = (ops: Operation[]): Uint8Array[] => {
    const replies: Uint8Array[] = [];
    for (const op of ops) {
      if (op.kind === 'serial-frame') replies.push(...cam.receive(op.bytes));
      if (op.kind === 'delay') now += op.ms;
    }
    return replies;
  };

  it('moves while a move is latched and stops when the sequence ends', () => {
    fresh();
    run(resolveCommand(profile, 'move', { pan: 63, durationMs: 2000 }));
    expect(cam.moving).toBe(false);
    expect(cam.position().pan).toBe(12000); // 60 deg/s for 2 s
    now += 5000;
    expect(cam.position().pan).toBe(12000);
  });

  it('keeps moving after a move frame alone, until the safety stop is sent', () => {
    fresh();
    const [move] = resolveCommand(profile, 'move', { tilt: 63 });
    run(move ? [move] : []);
    now += 1000;
    expect(cam.moving).toBe(true);
    expect(cam.position().tilt).toBe(3000);
    run(resolveSafetyStop(profile, 'move', { tilt: 63 }));
    now += 1000;
    expect(cam.moving).toBe(false);
    expect(cam.position().tilt).toBe(3000);
  });

  it('stores and recalls presets and answers position queries', () => {
    fresh();
    run(resolveCommand(profile, 'setPanPosition', { degrees: 123.45 }));
    run(resolveCommand(profile, 'setPreset', { preset: 4 }));
    run(resolveCommand(profile, 'move', { pan: -32, durationMs: 1000 }));
    expect(cam.position().pan).not.toBe(12345);
    run(resolveCommand(profile, 'gotoPreset', { preset: 4 }));
    const [reply] = run(resolveCommand(profile, 'queryPan', {}));
    expect(reply && decodePelcoDReply(reply)).toEqual({ address: 1, kind: 'pan', value: 12345 });
    expect(cam.presetList()).toEqual([4]);
  });

  it('ignores frames for other addresses and frames with a bad checksum, resynchronising on FF', () => {
    fresh(2);
    expect(run(resolveCommand(profile, 'queryPan', {}, { address: 1 }))).toEqual([]);
    const good = resolveCommand(profile, 'queryTilt', {}, { address: 2 })[0];
    if (good?.kind !== 'serial-frame') throw new Error('expected a frame');
    const corrupt = Uint8Array.from(good.bytes);
    corrupt[6] = ((corrupt[6] ?? 0) + 1) & 0xff;
    const replies = cam.receive([0x00, 0x13, ...corrupt, ...good.bytes]);
    expect(cam.rejectedFrames).toBeGreaterThan(0);
    expect(replies.map((r) => decodePelcoDReply(r))).toEqual([
      { address: 2, kind: 'tilt', value: 0 },
    ]);
  });

  it('wraps pan through 360 degrees and clamps tilt and zoom', () => {
    fresh();
    run(resolveCommand(profile, 'setPanPosition', { degrees: 350 }));
    run(resolveCommand(profile, 'move', { pan: 63, durationMs: 1000 }));
    expect(cam.position().pan).toBe(5000);
    run(resolveCommand(profile, 'move', { tilt: -63, durationMs: 5000 }));
    expect(cam.position().tilt).toBe(0);
    run(resolveCommand(profile, 'zoom', { direction: 'in', durationMs: 10000 }));
    expect(cam.position().zoom).toBe(16384);
  });
});
