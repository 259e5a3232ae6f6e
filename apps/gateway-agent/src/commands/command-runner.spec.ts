import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { pino } from 'pino';
import type { CommandBatchMessage, CommandExecution, CommandResult } from '@fleet/contracts';
import {
  BusScheduler,
  modbusTransport,
  SimulatedModbusClient,
  type ModbusDevice,
} from '@fleet/fieldbus';
import { loadProfileCatalog, type DeviceProfile } from '@fleet/profiles';
import type { RuntimePlan } from '../runtime/runtime-plan.js';
import type { CommandUplink } from './command-reporter.js';
import { CommandRunner } from './command-runner.js';

const UNIT = 3;
const LIGHT = 'light-3';
const logger = pino({ level: 'silent' });
let profile: DeviceProfile;

beforeAll(async () => {
  profile = (await loadProfileCatalog()).get('streetlight-controller');
});

let sim: SimulatedModbusClient;
let published: CommandUplink[];
let seen: Set<string>;
let runner: CommandRunner;
let seq = 0;

function plan(): RuntimePlan {
  return {
    version: 1,
    buses: [
      {
        busId: 'rtu:/dev/ttyUSB0',
        spec: {
          kind: 'modbus-rtu',
          path: '/dev/ttyUSB0',
          serial: { baudRate: 9600, parity: 'even', dataBits: 8, stopBits: 1 },
        },
        devices: [
          {
            id: LIGHT,
            name: 'Light 3',
            profile,
            connection: {
              kind: 'modbus-rtu',
              path: '/dev/ttyUSB0',
              baudRate: 9600,
              parity: 'even',
              unitId: UNIT,
            },
            busId: 'rtu:/dev/ttyUSB0',
            fingerprint: 'x',
          },
        ],
      },
    ],
    gpioDevices: [],
  } satisfies RuntimePlan;
}

function execution(overrides: Partial<CommandExecution> = {}): CommandExecution {
  seq += 1;
  return {
    executionId: `exec-${seq}`,
    commandId: 'cmd-1',
    deviceId: LIGHT,
    command: 'setDim',
    params: { level: 40 },
    priority: 50,
    expiresAt: Date.now() + 60_000,
    ...overrides,
  };
}

const batch = (...executions: CommandExecution[]): CommandBatchMessage => ({
  v: 1,
  type: 'cmd',
  executions,
});

const results = (): CommandResult[] =>
  published.flatMap((m) => (m.type === 'cmd_result' ? m.results : []));
const acks = (): string[] => published.flatMap((m) => (m.type === 'cmd_ack' ? m.executionIds : []));
const resultOf = async (id: string): Promise<CommandResult> =>
  vi.waitFor(
    () => {
      const found = results().find((r) => r.executionId === id);
      if (!found) throw new Error(`no result for ${id}`);
      return found;
    },
    { timeout: 5_000, interval: 5 },
  );
const writes = () => sim.log.filter((l) => l.fc === 6 || l.fc === 16);

async function start(options: { concurrency?: number; latencyMs?: number } = {}): Promise<void> {
  sim = new SimulatedModbusClient('sim:rtu', { serial: true });
  sim.addUnit(UNIT, {}, options.latencyMs ?? 0);
  sim.mapRange(UNIT, 'holding', 0, 2);
  sim.mapRange(UNIT, 'coil', 0, 2);
  await sim.connect({ timeoutMs: 100 });
  // Retries are the runner's in these tests, so the scheduler makes one attempt per transaction.
  const scheduler = new BusScheduler({
    busId: 'rtu:/dev/ttyUSB0',
    silentIntervalMs: 0,
    retries: 0,
  });
  const device: ModbusDevice = {
    id: LIGHT,
    profile,
    unitId: UNIT,
    transport: modbusTransport(profile, 'modbus-rtu')!,
    client: sim,
    scheduler,
  };
  published = [];
  seen = new Set();
  runner = new CommandRunner({
    dedupe: {
      markSeen: (id) => Promise.resolve(!seen.has(id) && Boolean(seen.add(id))),
      close: () => Promise.resolve(),
    },
    runtime: { commandTargets: (id) => (id === LIGHT ? { modbus: device } : undefined) },
    publish: (message) => {
      published.push(message);
      return Promise.resolve(published.length);
    },
    logger,
    retry: { attempts: 3, backoffMs: 5 },
    resultBatchMs: 5,
    ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
  });
  runner.usePlan(plan());
}

beforeEach(async () => {
  await start();
});

describe('CommandRunner', () => {
  it('acknowledges a batch before running it, writes the register and reports the verify outcome', async () => {
    const e = execution();
    await runner.accept(batch(e));
    expect(acks()).toEqual([e.executionId]);
    const result = await resultOf(e.executionId);
    expect(result).toMatchObject({
      outcome: 'succeeded',
      verify: { ok: true, point: 'dim_level', expected: 40, actual: 40 },
    });
    expect(sim.getRegister(UNIT, 'holding', 0)).toBe(40);
    expect(published.findIndex((m) => m.type === 'cmd_ack')).toBeLessThan(
      published.findIndex((m) => m.type === 'cmd_result'),
    );
  });

  it('acknowledges a redelivery again but runs the execution once', async () => {
    const e = execution();
    await runner.accept(batch(e));
    await resultOf(e.executionId);
    await runner.accept(batch(e));
    await new Promise((r) => setTimeout(r, 30));
    expect(acks()).toEqual([e.executionId, e.executionId]);
    expect(writes()).toHaveLength(1);
    expect(results()).toHaveLength(1);
  });

  it('does not run an execution an earlier agent run had taken on', async () => {
    const e = execution();
    seen.add(e.executionId);
    await runner.accept(batch(e));
    expect(await resultOf(e.executionId)).toMatchObject({
      outcome: 'failed',
      error: { code: 'EXECUTION_INTERRUPTED' },
    });
    expect(writes()).toHaveLength(0);
  });

  it('runs higher priorities first on a device', async () => {
    const low = execution({ priority: 10, params: { level: 10 } });
    const high = execution({ priority: 90, params: { level: 90 } });
    const mid = execution({ priority: 50, params: { level: 50 } });
    await runner.accept(batch(low, high, mid));
    await resultOf(low.executionId);
    await resultOf(mid.executionId);
    expect(writes().length).toBe(3);
    expect(results().map((r) => r.executionId)).toEqual([
      high.executionId,
      mid.executionId,
      low.executionId,
    ]);
  });

  it('retries a busy device with backoff and succeeds', async () => {
    sim.injectFault(UNIT, { fault: { kind: 'exception', code: 6 }, fcs: [6], times: 1 });
    const e = execution();
    await runner.accept(batch(e));
    expect(await resultOf(e.executionId)).toMatchObject({ outcome: 'succeeded' });
    expect(writes()).toHaveLength(2);
    expect(runner.stats().retries).toBe(1);
  });

  it('does not retry an illegal address, and names the exception', async () => {
    sim.injectFault(UNIT, { fault: { kind: 'exception', code: 2 }, fcs: [6] });
    const e = execution();
    await runner.accept(batch(e));
    const result = await resultOf(e.executionId);
    expect(result).toMatchObject({
      outcome: 'failed',
      error: { code: 'MODBUS_ILLEGAL_ADDRESS', retryable: false },
    });
    expect(result.error!.message).toMatch(/Illegal Data Address/);
    expect(writes()).toHaveLength(1);
  });

  it('reports timed_out once the retries are used up', async () => {
    sim.injectFault(UNIT, { fault: { kind: 'timeout' } });
    const e = execution();
    await runner.accept(batch(e));
    const result = await resultOf(e.executionId);
    expect(result).toMatchObject({
      outcome: 'timed_out',
      error: { code: 'DEVICE_TIMEOUT', retryable: true },
    });
    expect(result.error!.message).toMatch(/after 3 attempts/);
  }, 10_000);

  it('does not start an execution past its deadline', async () => {
    const e = execution({ expiresAt: Date.now() - 1 });
    await runner.accept(batch(e));
    expect(await resultOf(e.executionId)).toMatchObject({
      outcome: 'failed',
      error: { code: 'EXPIRED' },
    });
    expect(writes()).toHaveLength(0);
  });

  it('drops a queued execution re-sent with an earlier deadline (cancel)', async () => {
    await start({ latencyMs: 100 });
    const first = execution({ params: { level: 1 } });
    const second = execution({ params: { level: 2 } });
    await runner.accept(batch(first, second));
    await runner.accept(batch({ ...second, expiresAt: Date.now() }));
    expect(await resultOf(second.executionId)).toMatchObject({
      outcome: 'failed',
      error: { code: 'EXPIRED' },
    });
    expect(await resultOf(first.executionId)).toMatchObject({ outcome: 'succeeded' });
    expect(writes()).toHaveLength(1);
  });

  it('answers unknown devices, commands and parameters with a code', async () => {
    const unknownDevice = execution({ deviceId: 'nope' });
    const unknownCommand = execution({ command: 'selfDestruct' });
    const badParams = execution({ params: { level: 400 } });
    await runner.accept(batch(unknownDevice, unknownCommand, badParams));
    expect((await resultOf(unknownDevice.executionId)).error?.code).toBe('UNKNOWN_DEVICE');
    expect((await resultOf(unknownCommand.executionId)).error?.code).toBe('UNKNOWN_COMMAND');
    const invalid = await resultOf(badParams.executionId);
    expect(invalid.error).toMatchObject({ code: 'INVALID_PARAMETERS' });
    expect(invalid.error!.message).toMatch(/level: must be 0\.\.100/);
    expect(writes()).toHaveLength(0);
  });

  it('on stop, reports what never started and stores every result', async () => {
    await start({ latencyMs: 50 });
    const running = execution({ params: { level: 5 } });
    const waiting = execution({ params: { level: 6 } });
    await runner.accept(batch(running, waiting));
    await runner.stop(2_000);
    expect(results().find((r) => r.executionId === running.executionId)?.outcome).toBe('succeeded');
    expect(results().find((r) => r.executionId === waiting.executionId)?.error?.code).toBe(
      'AGENT_STOPPED',
    );
  });
});
