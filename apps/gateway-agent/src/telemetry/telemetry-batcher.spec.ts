import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { encodeUplink, type TelemetryMessage } from '@fleet/contracts';
import type { ReadingReport } from '@fleet/fieldbus';
import { createAgentLogger } from '../agent/agent-logger.js';
import {
  TelemetryBatcher,
  toWireValue,
  type TelemetryBatcherOptions,
} from './telemetry-batcher.js';

const T = 1_767_225_600_000;

const report = (deviceId: string, at: number, values: ReadingReport['values']): ReadingReport => ({
  deviceId,
  group: 'realtime',
  at,
  reason: 'change',
  values,
  errors: {},
});

function batcher(overrides: Partial<TelemetryBatcherOptions> = {}) {
  const published: TelemetryMessage[] = [];
  const b = new TelemetryBatcher({
    bootId: 'boot-1',
    intervalMs: 1_000,
    maxReadings: 100,
    publish: (m) => {
      published.push(m);
      return Promise.resolve(published.length);
    },
    logger: createAgentLogger('silent'),
    ...overrides,
  });
  return { b, published };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('TelemetryBatcher', () => {
  it('publishes a batch one interval after its first reading, with increasing batchSeq', async () => {
    const { b, published } = batcher();
    b.addReport(report('meter-1', T, { voltage_l1: 230.1, frequency: 50 }));
    await vi.advanceTimersByTimeAsync(500);
    b.addReport(report('meter-2', T + 500, { voltage_l1: 229.9 }));
    expect(published).toEqual([]);
    await vi.advanceTimersByTimeAsync(500);
    expect(published).toEqual([
      {
        v: 1,
        type: 'telemetry',
        bootId: 'boot-1',
        batchSeq: 0,
        readings: [
          { deviceId: 'meter-1', point: 'voltage_l1', ts: T, value: 230.1 },
          { deviceId: 'meter-1', point: 'frequency', ts: T, value: 50 },
          { deviceId: 'meter-2', point: 'voltage_l1', ts: T + 500, value: 229.9 },
        ],
      },
    ]);
    b.addReport(report('meter-1', T + 2_000, { voltage_l1: 231 }));
    await vi.advanceTimersByTimeAsync(1_000);
    expect(published.map((m) => m.batchSeq)).toEqual([0, 1]);
    expect(b.stats()).toMatchObject({
      nextBatchSeq: 2,
      batchesPublished: 2,
      readingsPublished: 4,
      pendingReadings: 0,
    });
  });

  it('closes a batch as soon as it is full', async () => {
    const { b, published } = batcher({ maxReadings: 3 });
    b.addReport(report('m', T, { a: 1, b: 2, c: 3, d: 4, e: 5, f: 6, g: 7 }));
    await vi.advanceTimersByTimeAsync(0);
    expect(published.map((m) => m.readings.map((r) => r.point))).toEqual([
      ['a', 'b', 'c'],
      ['d', 'e', 'f'],
    ]);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(published.map((m) => m.readings.length)).toEqual([3, 3, 1]);
    expect(published.map((m) => m.batchSeq)).toEqual([0, 1, 2]);
  });

  it('keeps every batch under the telemetry size limit', async () => {
    const { b, published } = batcher({ maxReadings: 20_000, maxBytes: 4_096 });
    const long = 'x'.repeat(1_000);
    for (let i = 0; i < 10; i++) b.addReport(report('m', T + i, { [`label_${i}`]: long }));
    await b.flush();
    expect(published.length).toBeGreaterThan(2);
    for (const m of published)
      expect(encodeUplink('gw-1', m).payload.length).toBeLessThanOrEqual(4_096);
    expect(published.flatMap((m) => m.readings).length).toBe(10);
  });

  it('carries device health changes in the same batch as readings', async () => {
    const { b, published } = batcher();
    b.addHealth({
      deviceId: 'meter-1',
      state: 'unreachable',
      ts: T,
      error: { code: 'DEVICE_UNREACHABLE', message: 'no reply' },
    });
    b.addReport(report('meter-2', T, { voltage_l1: 230 }));
    await vi.advanceTimersByTimeAsync(1_000);
    expect(published).toHaveLength(1);
    expect(published[0].health).toEqual([
      {
        deviceId: 'meter-1',
        state: 'unreachable',
        ts: T,
        error: { code: 'DEVICE_UNREACHABLE', message: 'no reply' },
      },
    ]);
    expect(published[0].readings).toHaveLength(1);
    // Health alone makes a batch too.
    b.addHealth({ deviceId: 'meter-1', state: 'ok', ts: T + 5_000 });
    await vi.advanceTimersByTimeAsync(1_000);
    expect(published[1]).toMatchObject({ batchSeq: 1, readings: [], health: [{ state: 'ok' }] });
  });

  it('sends 64-bit values as decimal strings and drops values the wire cannot carry', async () => {
    const { b, published } = batcher();
    b.addReport(
      report('m', T, {
        big: 18_446_744_073_709_551_615n,
        nan: Number.NaN,
        flags: { door_open: true },
        on: true,
      }),
    );
    await b.flush();
    expect(published[0].readings.map((r) => [r.point, r.value])).toEqual([
      ['big', '18446744073709551615'],
      ['flags', { door_open: true }],
      ['on', true],
    ]);
    expect(b.stats().readingsDropped).toBe(1);
    // What the batcher publishes passes the contract.
    expect(() => encodeUplink('gw-1', published[0])).not.toThrow();
  });

  it('publishes in batchSeq order even when the outbox is slow, and counts refused batches', async () => {
    const order: number[] = [];
    let calls = 0;
    const { b } = batcher({
      maxReadings: 1,
      publish: async (m) => {
        calls += 1;
        if (calls === 2) throw new Error('the disk buffer is closed');
        await new Promise((r) => setTimeout(r, m.batchSeq === 0 ? 50 : 1));
        order.push(m.batchSeq);
      },
    });
    b.addReport(report('m', T, { a: 1, b: 2, c: 3 }));
    const flushed = b.flush();
    await vi.advanceTimersByTimeAsync(100);
    await flushed;
    expect(order).toEqual([0, 2]);
    expect(b.stats()).toMatchObject({ batchesPublished: 2, batchesLost: 1, nextBatchSeq: 3 });
  });

  it('flushes what it holds on stop and takes nothing afterwards', async () => {
    const { b, published } = batcher();
    b.addReport(report('m', T, { a: 1 }));
    await b.stop();
    expect(published).toHaveLength(1);
    b.addReport(report('m', T, { a: 2 }));
    await vi.advanceTimersByTimeAsync(5_000);
    expect(published).toHaveLength(1);
  });
});

describe('toWireValue', () => {
  it('maps decoded values to what the contract carries', () => {
    expect(toWireValue(-12n)).toBe('-12');
    expect(toWireValue(Number.POSITIVE_INFINITY)).toBeUndefined();
    expect(toWireValue('x'.repeat(2_000))).toBeUndefined();
    expect(toWireValue('SDM630')).toBe('SDM630');
  });
});
