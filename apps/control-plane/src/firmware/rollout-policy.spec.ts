import { describe, expect, it } from 'vitest';
import {
  abortWhilePaused,
  decide,
  emptyTally,
  failureThresholdTripped,
  type RolloutRules,
  type RolloutSnapshot,
  type WaveTally,
} from './rollout-policy.js';

const rules: RolloutRules = {
  waveCount: 3,
  successThreshold: 0.9,
  failureThreshold: { percent: 20, minSample: 5, action: 'pause' },
  maxConcurrent: 10,
  startRatePerMinute: 100,
  includeLateJoiners: false,
};

const tally = (t: Partial<WaveTally>): WaveTally => ({
  ...emptyTally(),
  ...t,
  total:
    t.total ??
    (t.succeeded ?? 0) +
      (t.failed ?? 0) +
      (t.canceled ?? 0) +
      (t.inFlight ?? 0) +
      (t.waitingOnline ?? 0) +
      (t.waitingOffline ?? 0),
});

function snapshot(
  waves: Partial<WaveTally>[],
  extra: Partial<RolloutSnapshot> = {},
): RolloutSnapshot {
  return {
    state: 'running',
    currentWave: 0,
    waves: waves.map(tally),
    recentFailed: 0,
    recentFinished: 0,
    startedLastMinute: 0,
    installsInFlight: 0,
    downloadsInFlight: 0,
    windowOpen: true,
    ...extra,
  };
}

describe('failure threshold', () => {
  it('waits for the minimum sample before judging a percentage', () => {
    const threshold = { percent: 20, minSample: 5, action: 'pause' as const };
    expect(failureThresholdTripped(threshold, 2, 4)).toBeUndefined();
    expect(failureThresholdTripped(threshold, 1, 5)).toMatch(
      /1 of 5 finished deployments failed \(20 %/,
    );
  });

  it('stops on a count', () => {
    expect(failureThresholdTripped({ count: 3, minSample: 1, action: 'abort' }, 3, 3)).toMatch(
      /3 deployments failed \(limit 3\)/,
    );
  });

  it('pauses or aborts the rollout by itself, before any new start', () => {
    const running = snapshot([{ succeeded: 3, failed: 2, waitingOnline: 5 }, {}, {}], {
      recentFailed: 2,
      recentFinished: 5,
    });
    const paused = decide(running, rules);
    expect(paused.stop?.state).toBe('paused');
    expect(paused.startAllowance).toBe(0);
    const aborted = decide(running, {
      ...rules,
      failureThreshold: { ...rules.failureThreshold, action: 'abort' },
    });
    expect(aborted.stop?.state).toBe('aborted');
  });
});

describe('a paused rollout', () => {
  it('is aborted when installs still under way fail past an abort threshold', () => {
    const abort = { count: 2, minSample: 1, action: 'abort' as const };
    expect(abortWhilePaused(abort, 1, 1)).toBeUndefined();
    expect(abortWhilePaused(abort, 2, 2)).toMatch(
      /failure threshold reached: 2 deployments failed/,
    );
  });

  it('stays paused under a pause threshold', () => {
    expect(abortWhilePaused({ count: 2, minSample: 1, action: 'pause' }, 5, 5)).toBeUndefined();
  });
});

describe('wave gates', () => {
  it('keeps working on a wave while gateways are on their way', () => {
    const d = decide(
      snapshot([{ succeeded: 1, inFlight: 2, waitingOnline: 7 }, { waitingOnline: 10 }, {}]),
      rules,
    );
    expect(d).toMatchObject({
      currentWave: 0,
      complete: false,
      installSlots: 10,
      startAllowance: 100,
    });
  });

  it('opens the next wave once enough of this one succeeded', () => {
    const d = decide(
      snapshot([{ succeeded: 10 }, { waitingOnline: 10 }, { waitingOnline: 10 }]),
      rules,
    );
    expect(d.currentWave).toBe(1);
  });

  it('passes empty waves at once', () => {
    const d = decide(snapshot([{ succeeded: 1 }, {}, { waitingOnline: 3 }]), rules);
    expect(d.currentWave).toBe(2);
  });

  it('pauses when a finished wave missed its threshold', () => {
    const d = decide(snapshot([{ succeeded: 8, failed: 2 }, { waitingOnline: 10 }, {}]), {
      ...rules,
      failureThreshold: { count: 100, minSample: 1, action: 'abort' },
    });
    expect(d.stop).toEqual({
      state: 'paused',
      reason: 'wave 1 missed its success threshold: 8 of 10 succeeded, 9 needed',
    });
  });

  it('pauses as soon as a wave can no longer reach its threshold', () => {
    const d = decide(snapshot([{ succeeded: 5, failed: 2, inFlight: 3 }, {}, {}]), {
      ...rules,
      failureThreshold: { count: 100, minSample: 1, action: 'abort' },
    });
    expect(d.stop?.reason).toMatch(/wave 1 cannot reach its success threshold/);
  });

  it('ignores canceled deployments when judging a wave', () => {
    const d = decide(snapshot([{ succeeded: 9, canceled: 1 }, { waitingOnline: 1 }, {}]), rules);
    expect(d.currentWave).toBe(1);
  });

  it('waits for offline gateways instead of failing the wave, and moves on when enough succeeded', () => {
    const waiting = decide(
      snapshot([{ succeeded: 5, waitingOffline: 5 }, { waitingOnline: 1 }, {}]),
      rules,
    );
    expect(waiting.currentWave).toBe(0);
    expect(waiting.stop).toBeUndefined();
    expect(waiting.waiting).toMatch(/waits for 5 offline gateway/);
    const enough = decide(
      snapshot([{ succeeded: 9, waitingOffline: 1 }, { waitingOnline: 1 }, {}]),
      rules,
    );
    expect(enough.currentWave).toBe(1);
  });

  it('completes when every wave passed and nothing is left', () => {
    const d = decide(
      snapshot([{ succeeded: 1 }, { succeeded: 10 }, { succeeded: 10 }], { currentWave: 2 }),
      rules,
    );
    expect(d.complete).toBe(true);
  });

  it('keeps watching for late joiners instead of completing when asked to', () => {
    const d = decide(
      snapshot([{ succeeded: 1 }, { succeeded: 10 }, { succeeded: 10 }], { currentWave: 2 }),
      {
        ...rules,
        includeLateJoiners: true,
      },
    );
    expect(d.complete).toBe(false);
    expect(d.waiting).toMatch(/late/);
  });
});

describe('limits', () => {
  it('gives out install slots up to max concurrent and starts up to the rate', () => {
    const d = decide(
      snapshot([{ inFlight: 8, waitingOnline: 50 }, {}, {}], {
        installsInFlight: 8,
        startedLastMinute: 95,
      }),
      rules,
    );
    expect(d.installSlots).toBe(2);
    expect(d.startAllowance).toBe(5);
  });

  it('only lets gateways download outside the maintenance window', () => {
    const d = decide(
      snapshot([{ waitingOnline: 50 }, {}, {}], { windowOpen: false, downloadsInFlight: 4 }),
      rules,
    );
    expect(d).toMatchObject({ downloadOnly: true, installSlots: 0, startAllowance: 6 });
    expect(d.waiting).toMatch(/maintenance window/);
  });

  it('does nothing for a paused rollout', () => {
    const d = decide(snapshot([{ waitingOnline: 5 }, {}, {}], { state: 'paused' }), rules);
    expect(d).toMatchObject({ installSlots: 0, startAllowance: 0, complete: false });
  });
});
