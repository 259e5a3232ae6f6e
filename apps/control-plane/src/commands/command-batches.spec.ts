import { describe, expect, it } from 'vitest';
import { encodeDownlink, type CommandExecution } from '@fleet/contracts';
import { commandBatches } from './command-batches.js';

const GATEWAY = '0190a0b0-0000-7000-8000-000000000001';
const COMMAND = '0190a0b0-0000-7000-8000-00000000c0de';

function executions(n: number, params: CommandExecution['params'] = { level: 40 }) {
  return Array.from({ length: n }, (_, i) => ({
    executionId: `0190a0b0-0000-7000-8000-${String(i).padStart(12, '0')}`,
    commandId: COMMAND,
    deviceId: `0190a0b0-0000-7000-9000-${String(i).padStart(12, '0')}`,
    command: 'setDim',
    params,
    priority: 50,
    expiresAt: 1_750_000_000_000,
  }));
}

describe('commandBatches', () => {
  it('puts the devices of one gateway in one message, in order', () => {
    const input = executions(50);
    const batches = commandBatches(input, COMMAND);
    expect(batches).toHaveLength(1);
    expect(batches[0]!.executions.map((e) => e.executionId)).toEqual(
      input.map((e) => e.executionId),
    );
    expect(batches[0]!.correlationId).toBe(COMMAND);
  });

  it('splits by count and keeps every execution exactly once', () => {
    const input = executions(1234);
    const batches = commandBatches(input, COMMAND, { maxExecutions: 500, maxBytes: 10_000_000 });
    expect(batches.map((b) => b.executions.length)).toEqual([500, 500, 234]);
    expect(batches.flatMap((b) => b.executions)).toEqual(input);
  });

  it('splits by encoded size so every message passes the cmd channel limit', () => {
    const big = { note: 'x'.repeat(1000), level: 40 };
    const input = executions(600, big);
    const batches = commandBatches(input, COMMAND, { maxExecutions: 1000, maxBytes: 64 * 1024 });
    expect(batches.length).toBeGreaterThan(5);
    for (const batch of batches) {
      const encoded = encodeDownlink(GATEWAY, batch, { limits: { cmd: 64 * 1024 } });
      expect(encoded.payload.length).toBeLessThanOrEqual(64 * 1024);
    }
    expect(batches.flatMap((b) => b.executions)).toHaveLength(600);
  });

  it('sends nothing for nothing', () => {
    expect(commandBatches([], COMMAND)).toEqual([]);
  });
});
