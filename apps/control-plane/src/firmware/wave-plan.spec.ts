import { describe, expect, it } from 'vitest';
import { assignWaves, parseWaveSteps, planWaves, rolloutOrder } from './wave-plan.js';

describe('parseWaveSteps', () => {
  it('reads percentages, cumulative counts and "all"', () => {
    const { steps, problems } = parseWaveSteps(['1%', '10 %', '50', 'all']);
    expect(problems).toEqual([]);
    expect(steps).toEqual([
      { kind: 'percent', value: 1 },
      { kind: 'percent', value: 10 },
      { kind: 'count', value: 50 },
      { kind: 'all' },
    ]);
  });

  it('names each bad wave and why', () => {
    expect(parseWaveSteps(['0%', 'ten', '150%']).problems).toEqual([
      { field: 'waves[0]', reason: '"0%" must be more than 0 % and at most 100 %' },
      {
        field: 'waves[1]',
        reason: '"ten" is neither a percentage (10%), a cumulative count (25) nor "all"',
      },
      { field: 'waves[2]', reason: '"150%" must be more than 0 % and at most 100 %' },
    ]);
  });

  it('refuses waves that go backwards, "all" before the end, and a last wave that leaves gateways out', () => {
    expect(parseWaveSteps(['10%', '5%', '100%']).problems).toEqual([
      { field: 'waves[1]', reason: 'waves are cumulative: "5%" must be more than "10%"' },
    ]);
    expect(parseWaveSteps(['all', '100%']).problems).toContainEqual({
      field: 'waves[0]',
      reason: '"all" can only be the last wave',
    });
    expect(parseWaveSteps(['5', '50']).problems).toEqual([
      {
        field: 'waves[1]',
        reason: 'the last wave must be "100%" or "all", so every matched gateway is included',
      },
    ]);
    expect(parseWaveSteps([]).problems[0]?.reason).toBe('must list at least one wave');
  });
});

describe('planWaves', () => {
  it('rounds targets up so a 1 % canary is never empty', () => {
    const { steps } = parseWaveSteps(['1%', '10%', '50%', '100%']);
    expect(planWaves(50, steps).map((w) => w.size)).toEqual([1, 4, 20, 25]);
    expect(planWaves(10_000, steps).map((w) => w.size)).toEqual([100, 900, 4000, 5000]);
  });

  it('caps counts at the fleet and keeps waves that add nobody (they pass at once)', () => {
    const { steps } = parseWaveSteps(['5', '50', 'all']);
    expect(planWaves(20, steps)).toEqual([
      { spec: '5', size: 5 },
      { spec: '50', size: 15 },
      { spec: 'all', size: 0 },
    ]);
  });

  it('always places every gateway', () => {
    const { steps } = parseWaveSteps(['3%', '33%', '100%']);
    for (const total of [0, 1, 2, 7, 99, 101, 1234]) {
      expect(planWaves(total, steps).reduce((n, w) => n + w.size, 0)).toBe(total);
    }
  });
});

describe('assignment', () => {
  const gateways = Array.from({ length: 40 }, (_, i) => ({
    id: `gw-${String(i).padStart(2, '0')}`,
  }));

  it('shuffles stably per rollout, so canaries are a sample and not the oldest gateways', () => {
    const a = rolloutOrder('rollout-a', gateways).map((g) => g.id);
    expect(rolloutOrder('rollout-a', [...gateways].reverse()).map((g) => g.id)).toEqual(a);
    expect(rolloutOrder('rollout-b', gateways).map((g) => g.id)).not.toEqual(a);
    expect([...a].sort()).toEqual(gateways.map((g) => g.id));
  });

  it('puts each gateway in exactly one wave following the plan', () => {
    const plan = [
      { spec: '10%', size: 4 },
      { spec: '100%', size: 36 },
    ];
    const assigned = assignWaves(gateways, plan);
    expect(assigned.filter((a) => a.wave === 0)).toHaveLength(4);
    expect(assigned.filter((a) => a.wave === 1)).toHaveLength(36);
    expect(new Set(assigned.map((a) => a.item.id)).size).toBe(40);
  });
});
