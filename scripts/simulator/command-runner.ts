import type {
  CommandExecution,
  CommandResult,
  ErrorDetail,
  VerifyOutcome,
  WireValue,
} from '@fleet/contracts';
import {
  CommandError,
  resolveCommand,
  resolveSafetyStop,
  type Operation,
  type PointValue,
} from '@fleet/profiles';
import { DeviceFault, type VerifyCheck } from './device-fault.js';
import type { OperationOutput, SimulatedDevice } from './simulated-device.js';
import { toWireValue } from './telemetry-sampler.js';

export interface CommandRunnerOptions {
  now: () => number;
  /** Waits for a delay operation; rejects when the gateway stops (the safety stop still runs). */
  sleep: (ms: number) => Promise<void>;
}

/**
 * Runs one execution the way the agent does: refuses an expired one, resolves the profile command
 * (parameters validated by @fleet/profiles), then runs its operations in order against the
 * simulated device. A failure part-way runs the command's safety stop (a PTZ move always ends).
 */
export async function runExecution(
  execution: CommandExecution,
  device: SimulatedDevice | undefined,
  options: CommandRunnerOptions,
): Promise<CommandResult> {
  const startedAt = options.now();
  const finish = (
    outcome: CommandResult['outcome'],
    extra: Partial<CommandResult> = {},
  ): CommandResult => ({
    executionId: execution.executionId,
    outcome,
    startedAt,
    finishedAt: Math.max(startedAt, options.now()),
    ...extra,
  });
  const failed = (
    error: ErrorDetail,
    outcome: CommandResult['outcome'] = 'failed',
  ): CommandResult =>
    finish(outcome, { error: { ...error, message: error.message.slice(0, 1024) } });

  if (startedAt > execution.expiresAt)
    return failed({
      code: 'EXPIRED',
      message: `expired ${startedAt - execution.expiresAt} ms before it could start`,
      retryable: false,
    });
  if (!device)
    return failed({
      code: 'UNKNOWN_DEVICE',
      message: `device ${execution.deviceId} is not in this gateway's configuration`,
      retryable: false,
    });

  let operations: Operation[];
  try {
    operations = resolveCommand(
      device.profile,
      execution.command,
      execution.params,
      device.resolveOptions(),
    );
  } catch (error) {
    if (error instanceof CommandError)
      return failed({ code: error.code, message: error.message, retryable: false });
    throw error;
  }

  const values: Record<string, PointValue> = {};
  let verify: OperationOutput['verify'];
  try {
    for (const op of operations) {
      if (op.kind === 'delay') {
        await options.sleep(op.ms);
        continue;
      }
      const out = device.apply(op);
      Object.assign(values, out.values);
      if (out.verify) verify = out.verify;
    }
  } catch (error) {
    runSafetyStop(device, execution);
    if (error instanceof DeviceFault) {
      const result = failed(
        { code: error.code, message: error.message, retryable: error.retryable },
        error.silent ? 'timed_out' : 'failed',
      );
      if (error.verify) result.verify = wireVerify(error.verify);
      return result;
    }
    return failed({ code: 'ABORTED', message: (error as Error).message, retryable: true });
  }
  const result = finish('succeeded');
  const wire = wireValues(values);
  if (Object.keys(wire).length > 0) result.values = wire;
  if (verify) result.verify = wireVerify(verify);
  return result;
}

function runSafetyStop(device: SimulatedDevice, execution: CommandExecution): void {
  let stop: Operation[];
  try {
    stop = resolveSafetyStop(
      device.profile,
      execution.command,
      execution.params,
      device.resolveOptions(),
    );
  } catch {
    return;
  }
  for (const op of stop) {
    if (op.kind === 'delay') continue;
    try {
      device.apply(op);
    } catch {
      // Best effort, as on a real line.
    }
  }
}

function wireValues(values: Record<string, PointValue>): Record<string, WireValue> {
  const out: Record<string, WireValue> = {};
  for (const [k, v] of Object.entries(values)) {
    const w = toWireValue(v);
    if (w !== undefined) out[k] = w;
  }
  return out;
}

function wireVerify(v: VerifyCheck): VerifyOutcome {
  const out: VerifyOutcome = { ok: v.ok, point: v.point };
  const expected = toWireValue(v.expected);
  if (expected !== undefined) out.expected = expected;
  if (v.actual !== undefined) {
    const actual = toWireValue(v.actual);
    if (actual !== undefined) out.actual = actual;
  }
  return out;
}
