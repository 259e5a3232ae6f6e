import { describe, expect, it } from 'vitest';
import type { CommandResult } from '@fleet/fieldbus';
import { errorDetail, executionResult, isTransient, toWireValue } from './execution-outcome.js';

const base: CommandResult = { ok: true, completed: 1, reads: {}, replies: {}, verify: [] };
const timing = { startedAt: 1_000, finishedAt: 1_250, attempts: 1 };

describe('execution outcome', () => {
  it('reports reads, replies and the verify outcome of a success', () => {
    const wire = executionResult(
      'e1',
      {
        ...base,
        reads: { power: 12.5, energy: 12345678901234567890n, fault_flags: { lamp_failure: false } },
        replies: { pan: 1200 },
        verify: [{ point: 'dim_level', expected: 40, actual: 40, tolerance: 0.5, ok: true }],
      },
      timing,
    );
    expect(wire).toEqual({
      executionId: 'e1',
      outcome: 'succeeded',
      startedAt: 1_000,
      finishedAt: 1_250,
      values: {
        power: 12.5,
        energy: '12345678901234567890',
        fault_flags: { lamp_failure: false },
        pan: 1200,
      },
      verify: { ok: true, point: 'dim_level', expected: 40, actual: 40 },
    });
  });

  it('names Modbus exceptions and says whether a retry may help', () => {
    const illegal = { code: 'EXCEPTION', exceptionCode: 2, message: 'x', operation: 0 };
    const busy = { code: 'EXCEPTION', exceptionCode: 6, message: 'x', operation: 0 };
    expect(errorDetail(illegal, 1)).toMatchObject({
      code: 'MODBUS_ILLEGAL_ADDRESS',
      retryable: false,
    });
    expect(errorDetail(busy, 3)).toMatchObject({ code: 'MODBUS_DEVICE_BUSY', retryable: true });
    expect(errorDetail(busy, 3).message).toMatch(/after 3 attempts/);
    expect(isTransient({ code: 'CRC', message: '', operation: 0 })).toBe(true);
    expect(isTransient({ code: 'VERIFY_FAILED', message: '', operation: 0 })).toBe(false);
  });

  it('calls a device that never answered timed out, and a failed verify failed', () => {
    const silent = executionResult(
      'e2',
      {
        ...base,
        ok: false,
        completed: 0,
        error: { code: 'TIMEOUT', message: 'no reply', operation: 0 },
      },
      { ...timing, attempts: 3 },
    );
    expect(silent).toMatchObject({ outcome: 'timed_out', error: { code: 'DEVICE_TIMEOUT' } });
    const mismatch = executionResult(
      'e3',
      {
        ...base,
        ok: false,
        completed: 0,
        verify: [{ point: 'dim_level', expected: 40, actual: 38, tolerance: 0.5, ok: false }],
        error: { code: 'VERIFY_FAILED', message: 'read back 38', operation: 0 },
      },
      timing,
    );
    expect(mismatch).toMatchObject({
      outcome: 'failed',
      error: { code: 'VERIFY_FAILED', retryable: false },
      verify: { ok: false, expected: 40, actual: 38 },
    });
  });

  it('keeps wire values within the contract', () => {
    expect(toWireValue(5n)).toBe(5);
    expect((toWireValue('x'.repeat(5000)) as string).length).toBe(1024);
  });
});
