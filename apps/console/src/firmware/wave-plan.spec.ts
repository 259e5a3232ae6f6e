import { describe, expect, it } from 'vitest';
import { parseWaves, planWaves } from './wave-plan.js';

const plan = (total: number, text: string) => {
  const parsed = parseWaves(text);
  if (!parsed.ok) throw new Error(parsed.error);
  return planWaves(total, parsed.steps);
};

describe('rollout waves', () => {
  it('splits by cumulative percentages, a canary never empty', () => {
    expect(plan(200, '1%,10%,50%,100%')).toEqual([
      { wave: 1, count: 2, cumulative: 2 },
      { wave: 2, count: 18, cumulative: 20 },
      { wave: 3, count: 80, cumulative: 100 },
      { wave: 4, count: 100, cumulative: 200 },
    ]);
    expect(plan(50, '1%,100%')[0]).toEqual({ wave: 1, count: 1, cumulative: 1 });
  });

  it('splits by counts and "all"', () => {
    expect(plan(30, '5,50,all')).toEqual([
      { wave: 1, count: 5, cumulative: 5 },
      { wave: 2, count: 25, cumulative: 30 },
    ]);
  });

  it('does not promise more than the selector matched', () => {
    expect(plan(3, '1%,10%,50%')).toEqual([
      { wave: 1, count: 1, cumulative: 1 },
      { wave: 2, count: 1, cumulative: 2 },
    ]);
    expect(plan(0, '10%,100%')).toEqual([]);
  });

  it('explains bad wave text', () => {
    expect(parseWaves('')).toEqual({ ok: false, error: 'at least one wave is needed' });
    expect(parseWaves('150%')).toMatchObject({ ok: false });
    expect(parseWaves('all,10')).toEqual({ ok: false, error: '"all" can only be the last wave' });
    expect(parseWaves('ten')).toMatchObject({ ok: false });
  });
});
