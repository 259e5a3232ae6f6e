import { describe, expect, it } from 'vitest';
import { deliveryTimeoutMs, expiryGraceMs, queuePriority } from './command-timing.js';

describe('command timing', () => {
  it('resends unacknowledged batches several times within a short TTL, at most every 30 s for long ones', () => {
    expect(deliveryTimeoutMs(10_000)).toBe(5_000);
    expect(deliveryTimeoutMs(120_000)).toBe(12_000);
    expect(deliveryTimeoutMs(600_000)).toBe(30_000);
    expect(deliveryTimeoutMs(7 * 86_400_000)).toBe(30_000);
  });

  it('gives acknowledged executions a bounded grace after the TTL to report', () => {
    expect(expiryGraceMs(5_000)).toBe(10_000);
    expect(expiryGraceMs(120_000)).toBe(30_000);
    expect(expiryGraceMs(3_600_000)).toBe(120_000);
  });

  it('maps priority 0-100 (higher first) onto BullMQ priorities (1 first)', () => {
    expect(queuePriority(100)).toBe(1);
    expect(queuePriority(50)).toBe(51);
    expect(queuePriority(0)).toBe(101);
    expect(queuePriority(100)).toBeLessThan(queuePriority(99));
  });
});
