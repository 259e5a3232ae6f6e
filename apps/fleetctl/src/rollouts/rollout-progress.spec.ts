import { describe, expect, it } from 'vitest';
import { CliError } from '../cli-error.js';
import { createBody } from './rollout.commands.js';
import {
  changedLines,
  countsText,
  finishedOf,
  redraw,
  statusLines,
  unsuccessfulOf,
  waveLine,
  type RolloutView,
} from './rollout-progress.js';

const view = (over: Partial<RolloutView> = {}): RolloutView => ({
  id: 'r1',
  name: 'r1',
  releaseId: 'rel',
  version: '1.4.0',
  state: 'running',
  stateReason: null,
  selector: 'site=a',
  currentWave: 2,
  waves: [
    { index: 1, spec: '1', size: 1, state: 'done', counts: { succeeded: 1 } },
    {
      index: 2,
      spec: '50%',
      size: 4,
      state: 'active',
      counts: { succeeded: 1, rolled_back: 1, installing: 2 },
    },
    { index: 3, spec: '100%', size: 5, state: 'pending', counts: { scheduled: 5 } },
  ],
  counts: { succeeded: 2, rolled_back: 1, installing: 2, scheduled: 5 },
  total: 10,
  successThresholdPercent: 95,
  failureThreshold: { count: 1, minSample: 1, action: 'pause' },
  maxConcurrent: 100,
  startRatePerMinute: 600,
  maintenanceWindow: null,
  includeLateJoiners: false,
  allowDowngrade: false,
  excluded: null,
  createdAt: '2026-11-27T00:00:00.000Z',
  finishedAt: null,
  ...over,
});

describe('rollout progress rendering', () => {
  it('counts finished and unsuccessful deployments, states in lifecycle order', () => {
    const counts = { scheduled: 5, installing: 2, rolled_back: 1, succeeded: 2, timed_out: 1 };
    expect(finishedOf(counts)).toBe(4);
    expect(unsuccessfulOf(counts)).toBe(2);
    expect(countsText(counts)).toBe(
      'succeeded 2 · rolled_back 1 · timed_out 1 · installing 2 · scheduled 5',
    );
    expect(countsText({ succeeded: 1, someday: 2 })).toBe('succeeded 1 · someday 2');
  });

  it('draws one line per wave with a bar of its finished deployments', () => {
    const [head, ...waves] = statusLines(view());
    expect(head).toBe("rollout r1 running: 1.4.0 to 'site=a' — wave 2/3, 3/10 finished");
    expect(waves).toHaveLength(3);
    expect(waves[1]).toBe(
      `wave 2/3 (50%)       active  [${'█'.repeat(10)}${'░'.repeat(10)}] 2/4  succeeded 1 · rolled_back 1 · installing 2`,
    );
    expect(waveLine({ index: 1, spec: '1', size: 0, state: 'pending', counts: {} }, 1, 4)).toBe(
      'wave 1/1 (1)         pending [░░░░] 0/0',
    );
  });

  it('redraws in place on a terminal and prints only changes otherwise', () => {
    expect(redraw(0, ['a', 'b'])).toBe('\r\x1b[2Ka\n\r\x1b[2Kb\n');
    expect(redraw(2, ['a', 'c'])).toBe('\x1b[2A\r\x1b[2Ka\n\r\x1b[2Kc\n');
    expect(changedLines([], ['a', 'b'])).toEqual(['a', 'b']);
    expect(changedLines(['a', 'b', 'c'], ['a', 'B', 'c'])).toEqual(['B']);
  });
});

describe('rollout create flags', () => {
  const base = { release: 'rel', selector: 'site=a', waves: ['1%', '100%'], phaseTimeout: [] };

  it('maps every flag onto the API body', () => {
    expect(
      createBody({
        ...base,
        interval: 1000,
        name: 'n',
        successThreshold: 90,
        failureThreshold: { count: 3, percent: 10 },
        minSample: 20,
        onFailure: 'abort',
        maxConcurrent: 5,
        startRate: 60,
        windowCron: '0 8 * * *',
        windowDuration: 240,
        windowTz: 'UTC',
        phaseTimeout: ['downloading=600', 'verifying=120'],
        includeLateJoiners: true,
        allowDowngrade: true,
      }),
    ).toEqual({
      releaseId: 'rel',
      name: 'n',
      selector: 'site=a',
      waves: ['1%', '100%'],
      successThresholdPercent: 90,
      failureThreshold: { count: 3, percent: 10, minSample: 20, action: 'abort' },
      maxConcurrent: 5,
      startRatePerMinute: 60,
      maintenanceWindow: { cron: '0 8 * * *', durationMinutes: 240, timeZone: 'UTC' },
      phaseTimeouts: { downloading: 600, verifying: 120 },
      includeLateJoiners: true,
      allowDowngrade: true,
    });
  });

  it('leaves unset flags to the API defaults', () => {
    const body = createBody({ ...base, interval: 1000 });
    expect(JSON.parse(JSON.stringify(body))).toEqual({
      releaseId: 'rel',
      selector: 'site=a',
      waves: ['1%', '100%'],
    });
    // A minimum sample alone still sends a threshold, for the API to judge.
    expect(createBody({ ...base, interval: 1000, minSample: 5 }).failureThreshold).toEqual({
      minSample: 5,
    });
  });

  it('refuses half a maintenance window and unknown phases', () => {
    expect(() => createBody({ ...base, interval: 1000, windowCron: '0 8 * * *' })).toThrow(
      CliError,
    );
    expect(() => createBody({ ...base, interval: 1000, phaseTimeout: ['booting=5'] })).toThrow(
      /--phase-timeout expects/,
    );
  });
});
