import { describe, expect, it } from 'vitest';
import { describeExclusions, eligibility, screen } from './eligibility.js';

const manifest = {
  version: '1.4.0',
  models: ['rpi4'],
  hardwareRevisions: ['1.4', '1.5'],
  minVersion: '1.0.0',
};
const gw = (over: Partial<Parameters<typeof eligibility>[1]> = {}) => ({
  id: 'g1',
  name: 'cabinet-1',
  model: 'rpi4',
  hardwareRevision: '1.4',
  firmwareVersion: '1.2.0',
  ...over,
});

describe('eligibility', () => {
  it('takes compatible gateways', () => {
    expect(eligibility(manifest, gw(), false)).toEqual({ eligible: true });
  });

  it('names why a gateway is left out', () => {
    expect(eligibility(manifest, gw({ model: 'rpi3' }), false)).toMatchObject({
      code: 'WRONG_MODEL',
    });
    expect(eligibility(manifest, gw({ hardwareRevision: '1.1' }), false)).toMatchObject({
      code: 'WRONG_HARDWARE',
    });
    expect(eligibility(manifest, gw({ firmwareVersion: '0.9.0' }), false)).toMatchObject({
      code: 'BELOW_MIN_VERSION',
    });
    expect(eligibility(manifest, gw({ firmwareVersion: '1.4.0' }), false)).toMatchObject({
      code: 'ALREADY_RUNNING',
    });
    expect(eligibility(manifest, gw({ firmwareVersion: null }), false)).toMatchObject({
      code: 'UNKNOWN_VERSION',
    });
    expect(eligibility(manifest, gw({ firmwareVersion: 'dev' }), false)).toMatchObject({
      code: 'UNKNOWN_VERSION',
    });
    expect(eligibility(manifest, gw({ busyIn: 'r-9' }), false)).toMatchObject({
      code: 'IN_OTHER_ROLLOUT',
      reason: 'already being updated by rollout r-9',
    });
  });

  it('refuses a downgrade unless allowed', () => {
    expect(eligibility(manifest, gw({ firmwareVersion: '2.0.0' }), false)).toMatchObject({
      code: 'DOWNGRADE',
    });
    expect(eligibility(manifest, gw({ firmwareVersion: '2.0.0' }), true)).toEqual({
      eligible: true,
    });
  });
});

describe('screen', () => {
  it('splits eligible gateways from a counted, sampled summary of the rest', () => {
    const { eligible, excluded } = screen(
      manifest,
      [
        gw({ id: 'a' }),
        gw({ id: 'b', model: 'rpi3', name: 'cabinet-b' }),
        gw({ id: 'c', model: 'rpi3' }),
        gw({ id: 'd', firmwareVersion: '1.4.0' }),
      ],
      false,
      1,
    );
    expect(eligible.map((g) => g.id)).toEqual(['a']);
    expect(excluded.total).toBe(3);
    expect(excluded.byReason).toEqual({ WRONG_MODEL: 2, ALREADY_RUNNING: 1 });
    expect(excluded.sample).toHaveLength(1);
    expect(describeExclusions(excluded)).toBe(
      '2 WRONG_MODEL, 1 ALREADY_RUNNING (e.g. cabinet-b: release 1.4.0 is for models rpi4, not rpi3)',
    );
  });
});
