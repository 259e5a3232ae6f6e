import { describe, expect, it } from 'vitest';
import { assertCompatible, checkCompatibility } from './compatibility.js';
import { FirmwareError, FirmwareErrorCode } from './firmware-error.js';

const manifest = {
  version: '2.0.0',
  models: ['edge-gw-2', 'edge-gw-3'],
  hardwareRevisions: ['rev-b', 'rev-c'],
  minVersion: '1.5.0',
};
const gateway = { model: 'edge-gw-2', hardwareRevision: 'rev-b', currentVersion: '1.6.0' };

function codeOf(...args: Parameters<typeof checkCompatibility>): string {
  const verdict = checkCompatibility(...args);
  return verdict.compatible ? 'OK' : verdict.code;
}

describe('checkCompatibility', () => {
  it('accepts an upgrade for a listed model and revision above the minimum', () => {
    expect(checkCompatibility(manifest, gateway)).toEqual({ compatible: true });
  });

  it('refuses other models and revisions', () => {
    expect(codeOf(manifest, { ...gateway, model: 'edge-gw-1' })).toBe('WRONG_MODEL');
    expect(codeOf(manifest, { ...gateway, hardwareRevision: 'rev-a' })).toBe('WRONG_HARDWARE');
  });

  it('treats absent hardware revisions as every revision', () => {
    const { hardwareRevisions: _h, ...anyRevision } = manifest;
    expect(codeOf(anyRevision, { ...gateway, hardwareRevision: 'rev-z' })).toBe('OK');
  });

  it('refuses gateways below the minimum version', () => {
    expect(codeOf(manifest, { ...gateway, currentVersion: '1.4.9' })).toBe('BELOW_MIN_VERSION');
    expect(codeOf(manifest, { ...gateway, currentVersion: '1.5.0' })).toBe('OK');
  });

  it('refuses downgrades unless allowed, and the same version unless allowed', () => {
    const old = { ...manifest, version: '1.5.5' };
    expect(codeOf(old, gateway)).toBe('DOWNGRADE');
    expect(codeOf(old, gateway, { allowDowngrade: true })).toBe('OK');
    const same = { ...manifest, version: '1.6.0' };
    expect(codeOf(same, gateway)).toBe('SAME_VERSION');
    expect(codeOf(same, gateway, { allowDowngrade: true })).toBe('SAME_VERSION');
    expect(codeOf(same, gateway, { allowSameVersion: true })).toBe('OK');
  });

  it('orders pre-releases below their release (semver)', () => {
    expect(
      codeOf({ ...manifest, version: '2.0.0-rc.1' }, { ...gateway, currentVersion: '2.0.0' }),
    ).toBe('DOWNGRADE');
    expect(
      codeOf({ ...manifest, version: '2.0.0' }, { ...gateway, currentVersion: '2.0.0-rc.1' }),
    ).toBe('OK');
  });

  it('checks the model before anything else', () => {
    expect(codeOf(manifest, { model: 'x', hardwareRevision: 'y', currentVersion: '0.1.0' })).toBe(
      'WRONG_MODEL',
    );
  });

  it('says why in words and throws from assertCompatible', () => {
    const verdict = checkCompatibility({ ...manifest, version: '1.0.0' }, gateway);
    expect(verdict).toMatchObject({ compatible: false, code: 'DOWNGRADE' });
    expect(!verdict.compatible && verdict.reason).toMatch(
      /1\.0\.0 is older than the running 1\.6\.0/,
    );
    expect(() => {
      assertCompatible({ ...manifest, version: '1.0.0' }, gateway);
    }).toThrow(expect.objectContaining({ code: FirmwareErrorCode.DOWNGRADE }) as Error);
  });

  it('refuses a gateway version that is not semver', () => {
    expect(() => checkCompatibility(manifest, { ...gateway, currentVersion: 'latest' })).toThrow(
      FirmwareError,
    );
  });
});
