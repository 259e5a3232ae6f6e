import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ReconnectBackoff } from './reconnect-backoff.js';

/** Deterministic uniform numbers (mulberry32). */
function seeded(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('ReconnectBackoff', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date('2026-01-01T00:00:00Z'));
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('draws each failure delay uniformly below a ceiling that doubles up to the cap', () => {
    const options = { initialDelayMs: 1_000, maxDelayMs: 30_000 };
    const ceilings = [1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000];
    const samples = ceilings.map(() => [] as number[]);
    for (let run = 0; run < 500; run++) {
      const backoff = new ReconnectBackoff({ ...options, random: seeded(run + 1) });
      ceilings.forEach((_, i) => samples[i].push(backoff.nextDelay('failure')));
    }
    ceilings.forEach((ceiling, i) => {
      const delays = samples[i];
      expect(Math.max(...delays)).toBeLessThanOrEqual(ceiling);
      expect(Math.min(...delays)).toBeGreaterThanOrEqual(0);
      // Full jitter: spread over the whole range, not bunched near the ceiling.
      expect(Math.min(...delays)).toBeLessThan(ceiling * 0.1);
      expect(Math.max(...delays)).toBeGreaterThan(ceiling * 0.9);
    });
    const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(samples[3])).toBeGreaterThan(mean(samples[1]) * 2);
  });

  it('never exceeds the cap however many attempts fail', () => {
    const backoff = new ReconnectBackoff({ maxDelayMs: 10_000, random: () => 0.999999 });
    const delays = Array.from({ length: 200 }, () => backoff.nextDelay('failure'));
    expect(Math.max(...delays)).toBeLessThanOrEqual(10_000);
    expect(delays.at(-1)).toBeGreaterThan(9_900);
  });

  it('backs off hard after a refused connect: at least half the refused base, growing to its cap', () => {
    const backoff = new ReconnectBackoff({
      refusedInitialDelayMs: 60_000,
      refusedMaxDelayMs: 600_000,
      random: () => 0,
    });
    expect(backoff.nextDelay('refused')).toBe(30_000);
    expect(backoff.nextDelay('refused')).toBe(60_000);
    for (let i = 0; i < 20; i++) backoff.nextDelay('refused');
    expect(backoff.nextDelay('refused')).toBe(300_000);
    const jittered = new ReconnectBackoff({ refusedInitialDelayMs: 60_000, random: () => 0.99 });
    expect(jittered.nextDelay('refused')).toBeLessThanOrEqual(60_000);
  });

  it('resets only after a connection stayed up long enough', () => {
    const backoff = new ReconnectBackoff({
      initialDelayMs: 1_000,
      stableAfterMs: 60_000,
      random: () => 0.999,
    });
    for (let i = 0; i < 5; i++) backoff.nextDelay('failure');
    backoff.connected();
    vi.advanceTimersByTime(5_000);
    backoff.disconnected();
    expect(backoff.attempts).toBe(5);
    expect(backoff.nextDelay('failure')).toBeGreaterThan(30_000);

    backoff.connected();
    vi.advanceTimersByTime(60_000);
    backoff.disconnected();
    expect(backoff.attempts).toBe(0);
    expect(backoff.nextDelay('failure')).toBeLessThanOrEqual(1_000);
  });

  it('rejects nonsensical options', () => {
    expect(() => new ReconnectBackoff({ initialDelayMs: 0 })).toThrow(/initialDelayMs/);
    expect(() => new ReconnectBackoff({ initialDelayMs: 10_000, maxDelayMs: 1_000 })).toThrow(
      /maxDelayMs/,
    );
  });
});
