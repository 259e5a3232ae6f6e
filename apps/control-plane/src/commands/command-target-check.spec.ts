import { beforeAll, describe, expect, it } from 'vitest';
import { loadProfileCatalog, type ProfileCatalog } from '@fleet/profiles';
import { checkCommandForTargets, LISTED_DEVICES } from './command-target-check.js';

let catalog: ProfileCatalog;
const profileOf = (id: string) => (catalog.has(id) ? catalog.get(id) : undefined);
const light = (i: number) => ({
  id: `light-${i}`,
  name: `Light ${i}`,
  profileId: 'streetlight-controller',
});
const meter = (i: number) => ({
  id: `meter-${i}`,
  name: `Meter ${i}`,
  profileId: 'eastron-sdm630',
});

beforeAll(async () => {
  catalog = await loadProfileCatalog();
});

describe('checkCommandForTargets', () => {
  it('accepts valid parameters for every target', () => {
    const devices = [light(1), light(2)];
    expect(checkCommandForTargets(devices, profileOf, 'setDim', { level: 40 })).toBeUndefined();
  });

  it('names the bad parameter and the reason, once for many devices', () => {
    const failure = checkCommandForTargets([light(1), light(2), light(3)], profileOf, 'setDim', {
      level: 140,
    });
    expect(failure).toEqual({
      code: 'INVALID_PARAMETERS',
      problems: [{ field: 'params.level', reason: 'must be 0..100 % (got 140)' }],
    });
  });

  it('reports missing, unknown and mistyped parameters', () => {
    expect(checkCommandForTargets([light(1)], profileOf, 'setDim', {})?.problems).toEqual([
      { field: 'params.level', reason: expect.stringMatching(/^is required/) },
    ]);
    const unknown = checkCommandForTargets([light(1)], profileOf, 'setDim', { level: 1, lvl: 2 });
    expect(unknown?.problems[0]).toMatchObject({ field: 'params.lvl' });
    const typed = checkCommandForTargets([light(1)], profileOf, 'setDim', { level: 'forty' });
    expect(typed?.problems[0]).toMatchObject({ field: 'params.level', reason: /number/ });
    const long = checkCommandForTargets([light(1)], profileOf, 'setMode', {
      mode: 'x'.repeat(2000),
    });
    expect(long?.problems.map((p) => p.field)).toContain('params.mode');
  });

  it('lists the devices whose profile lacks the command: the first ones by name, the rest counted', () => {
    const devices = [
      ...Array.from({ length: 5 }, (_, i) => light(i)),
      ...Array.from({ length: 30 }, (_, i) => meter(i)),
    ];
    const failure = checkCommandForTargets(devices, profileOf, 'setDim', { level: 40 });
    expect(failure?.code).toBe('COMMAND_NOT_SUPPORTED');
    const problems = failure!.problems;
    expect(problems[0]).toEqual({
      field: 'command',
      reason: expect.stringContaining(
        'not a command of 30 of 35 target devices (by profile: eastron-sdm630: 30)',
      ),
    });
    expect(problems.filter((p) => p.reason.startsWith('device "Meter'))).toHaveLength(
      LISTED_DEVICES,
    );
    expect(problems.at(-1)!.reason).toBe('... and 10 more devices without "setDim"');
  });

  it('suggests the closest command name when a single profile is targeted', () => {
    const failure = checkCommandForTargets([light(1)], profileOf, 'setDimm', { level: 40 });
    expect(failure?.problems[0]!.reason).toMatch(/did you mean "setDim"/);
  });

  it('treats a profile the catalog no longer has as lacking the command', () => {
    const failure = checkCommandForTargets(
      [{ id: 'x', name: 'Old', profileId: 'retired-model' }],
      profileOf,
      'setDim',
      { level: 1 },
    );
    expect(failure?.code).toBe('COMMAND_NOT_SUPPORTED');
  });
});
