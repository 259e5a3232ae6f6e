// The faults, each against the running stack: a group command (setDim to every street light) is
// in flight when the fault lands, and the meters' readings are counted across it. Everything is
// counted from what the API returns (Postgres) against what the simulated gateways did and sent.
import type { SimLogger } from '../simulator/sim-logger.js';
import type { ChaosApi } from './chaos-api.adapter.js';
import {
  countExecutions,
  countReadings,
  readingKey,
  type ExecutionRecord,
  type ReadingCount,
} from './chaos-count.js';
import type { ChaosOptions, ScenarioName } from './chaos-options.js';
import type { ChaosRow } from './chaos-report.js';
import { COUNTED_POINT, type ChaosStack } from './chaos-stack.js';

/**
 * Telemetry the control plane acknowledged this long before a SIGKILL may be lost: it buffers
 * readings for 250 ms before writing them (telemetry.service.ts), plus time to hand them over.
 */
const ACK_WINDOW_MS = 1_000;
/** Readings are counted from just before the command until this long after the fault. */
const READINGS_AFTER_MS = 10_000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface CommandDetail {
  id: string;
  state: string;
  done: boolean;
  total: number;
  counts: Record<string, number>;
}

interface Fault {
  /**
   * Runs the fault; resolves when it is over, with a note for the report and any writes that
   * should not exist (requests refused during the fault that left something behind).
   */
  inflict(): Promise<{
    note: string;
    strayWrites?: number;
    /** Readings first sent in this time range may be lost (a documented trade-off). */
    acceptLostSentBetween?: [number, number];
  }>;
}

function runsOnDevices(stack: ChaosStack): number {
  const s = stack.fleet.simulator.stats;
  return s.commandsSucceeded + s.commandsFailed + s.commandsTimedOut;
}

async function sendGroupCommand(
  stack: ChaosStack,
  name: string,
  level: number,
): Promise<CommandDetail> {
  return stack.as.operator.expect<CommandDetail>('POST', '/api/v1/commands', [201], {
    target: { selector: 'tag=streetlight' },
    command: 'setDim',
    params: { level },
    ttlSeconds: 1800,
    idempotencyKey: `chaos-${name}-${Date.now()}`,
  });
}

/** Polls until the command is done (API errors while the stack recovers are expected). */
async function waitUntilDone(api: ChaosApi, id: string, deadline: number): Promise<number | null> {
  while (Date.now() < deadline) {
    const answer = await api
      .request<CommandDetail>('GET', `/api/v1/commands/${id}`, undefined, 5_000)
      .catch(() => undefined);
    if (answer?.status === 200 && answer.body.done) return Date.now();
    await sleep(500);
  }
  return null;
}

async function executionsOf(api: ChaosApi, id: string): Promise<ExecutionRecord[]> {
  const all: ExecutionRecord[] = [];
  let cursor: string | null = null;
  do {
    const page: { items: ExecutionRecord[]; nextCursor: string | null } = await api.expect(
      'GET',
      `/api/v1/commands/${id}/results?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      [200],
    );
    all.push(...page.items.map((e) => ({ id: e.id, deviceId: e.deviceId, state: e.state })));
    cursor = page.nextCursor;
  } while (cursor);
  return all;
}

/**
 * Counts the readings of a window once it has passed, then again every second until nothing is
 * missing or nothing has changed for 10 s (readings buffered by the gateways arrive late).
 */
async function settleReadings(
  stack: ChaosStack,
  from: number,
  to: number,
  deadline: number,
): Promise<{ readings: ReadingCount; changedAt: number }> {
  await sleep(Math.max(0, to + 2_000 - Date.now()));
  let readings: ReadingCount | undefined;
  let changedAt = Date.now();
  // The API may still be down (a restart, a cut): no answer is retried until the deadline.
  while (readings === undefined || (readings.lost > 0 && Date.now() - changedAt < 10_000)) {
    const next = await countWindow(stack, from, to).catch(() => undefined);
    if (next === undefined) {
      if (Date.now() > deadline)
        throw new Error('the API did not answer the telemetry queries before the deadline');
    } else {
      if (next.lost !== readings?.lost || next.operations !== readings.operations)
        changedAt = Date.now();
      readings = next;
    }
    if (Date.now() > deadline) break;
    if (readings === undefined || readings.lost > 0) await sleep(1_000);
  }
  return { readings: readings!, changedAt };
}

async function countWindow(stack: ChaosStack, from: number, to: number) {
  const sent = [...stack.sent.values()].filter((r) => r.ts >= from && r.ts <= to);
  return countReadings(
    sent.map((r) => r.key),
    await storedReadings(stack, from, to),
  );
}

async function storedReadings(stack: ChaosStack, from: number, to: number): Promise<string[]> {
  const keys: string[] = [];
  for (const meter of stack.meters) {
    const page = await stack.as.viewer.expect<{ items: { ts: string }[] }>(
      'GET',
      `/api/v1/devices/${meter}/telemetry?point=${COUNTED_POINT}&from=${new Date(from).toISOString()}&to=${new Date(to).toISOString()}&limit=10000`,
      [200],
    );
    for (const item of page.items) keys.push(readingKey(meter, COUNTED_POINT, Date.parse(item.ts)));
  }
  return keys;
}

/** How many commands the tenant has (to prove a refused request wrote nothing). */
async function commandCount(api: ChaosApi): Promise<number> {
  let n = 0;
  let cursor: string | null = null;
  do {
    const page: { items: unknown[]; nextCursor: string | null } = await api.expect(
      'GET',
      `/api/v1/commands?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      [200],
    );
    n += page.items.length;
    cursor = page.nextCursor;
  } while (cursor);
  return n;
}

/**
 * The common shape: readings window opens, a group command goes out, the fault lands, then the
 * runner waits for the command to finish and the readings to be stored, and counts both.
 */
async function runScenario(
  name: ScenarioName,
  stack: ChaosStack,
  options: ChaosOptions,
  logger: SimLogger,
  level: number,
  fault: Fault,
): Promise<ChaosRow[]> {
  const windowFrom = Date.now() - 2_000;
  const runsBefore = runsOnDevices(stack);
  const droppedBefore = stack.fleet.simulator.stats.outboxDropped;
  const crashesBefore = stack.cp.crashes.length;
  const command = await sendGroupCommand(stack, name, level);
  logger.info(`${name}: command ${command.id} to ${command.total} street lights; fault now`);
  const { note, strayWrites = 0, acceptLostSentBetween } = await fault.inflict();
  const faultOver = Date.now();
  const deadline = faultOver + options.recoverySeconds * 1000;
  const [doneAt, settled] = await Promise.all([
    waitUntilDone(stack.as.viewer, command.id, deadline),
    // Readings stamped from before the command until 10 s after the fault must all arrive.
    settleReadings(stack, windowFrom, faultOver + READINGS_AFTER_MS, deadline),
  ]);
  const { readings, changedAt } = settled;
  const executions = await executionsOf(stack.as.viewer, command.id);
  const counted = countExecutions(stack.lights, executions, runsOnDevices(stack) - runsBefore);
  const windowTo = faultOver + READINGS_AFTER_MS;
  const accepted = acceptLostSentBetween
    ? readings.lostKeys.filter((key) => {
        const at = stack.sent.get(key)?.sentAt ?? 0;
        return at >= acceptLostSentBetween[0] && at <= acceptLostSentBetween[1];
      }).length
    : 0;
  const dropped = stack.fleet.simulator.stats.outboxDropped - droppedBefore;
  const crashes = stack.cp.crashes.slice(crashesBefore);
  const crashNote =
    crashes.length > 0 ? `; THE CONTROL PLANE CRASHED (${crashes.join(' | ')})` : '';
  const states = Object.entries(counted.byState)
    .map(([s, n]) => `${n} ${s}`)
    .join(', ');
  return [
    {
      scenario: `${name}: group command`,
      operations: counted.operations,
      lost: counted.lost,
      duplicated: counted.duplicated + strayWrites,
      recoveredInMs: doneAt === null || crashes.length > 0 ? null : doneAt - faultOver,
      notes: `${note}; executions ${states || 'none'}${counted.missing.length > 0 ? `; ${counted.missing.length} lights without an execution` : ''}${crashNote}`,
    },
    {
      scenario: `${name}: meter readings`,
      operations: readings.operations,
      lost: readings.lost,
      duplicated: readings.duplicated,
      // Until the stored readings stopped changing, if what is missing is accepted.
      recoveredInMs: readings.lost === accepted ? changedAt - faultOver : null,
      acceptedLost: accepted,
      notes:
        `${COUNTED_POINT} of ${stack.meters.length} meters sent vs stored over ${Math.round((windowTo - windowFrom) / 1000)} s` +
        (readings.lost > 0
          ? acceptLostSentBetween
            ? `; ${accepted} of the ${readings.lost} lost were sent in the last ${ACK_WINDOW_MS} ms before the SIGKILL (acknowledged, not yet written: the control plane writes telemetry every 250 ms, a documented trade-off)`
            : `; ${readings.lost} sent but never stored`
          : '') +
        (dropped > 0 ? `; simulator outboxes dropped ${dropped} batches` : ''),
    },
  ];
}

export async function runChaosScenario(
  name: ScenarioName,
  stack: ChaosStack,
  options: ChaosOptions,
  logger: SimLogger,
  index: number,
): Promise<ChaosRow[]> {
  const level = 10 + index * 17;
  switch (name) {
    case 'kill-control-plane':
      return runScenario(name, stack, options, logger, level, {
        async inflict() {
          const pid = stack.cp.pid;
          const killedAt = Date.now();
          await stack.cp.stop('SIGKILL');
          const started = Date.now();
          await stack.cp.start();
          return {
            note: `control plane (pid ${pid}) killed with SIGKILL right after the command was accepted, back in ${((Date.now() - started) / 1000).toFixed(1)} s`,
            acceptLostSentBetween: [killedAt - ACK_WINDOW_MS, killedAt],
          };
        },
      });
    case 'flush-redis':
      return runScenario(name, stack, options, logger, level, {
        async inflict() {
          const keys = await stack.redis.flush();
          return {
            note: `${stack.redis.wipe} (${keys} keys) right after the command was accepted`,
          };
        },
      });
    case 'restart-broker':
      return runScenario(name, stack, options, logger, level, {
        async inflict() {
          // The broker is embedded in the control plane: it goes down and comes back with it.
          await stack.cp.stop('SIGTERM');
          await sleep(options.outageSeconds * 1000);
          await stack.cp.start();
          return {
            note: `embedded broker stopped with its control plane (SIGTERM) for ${options.outageSeconds} s`,
          };
        },
      });
    case 'cut-postgres':
      return runScenario(name, stack, options, logger, level, {
        async inflict() {
          const before = await commandCount(stack.as.viewer);
          stack.postgres.cut();
          const until = Date.now() + options.outageSeconds * 1000;
          const answers = new Map<string, number>();
          let refused = 0;
          while (Date.now() < until) {
            const probe = await stack.as.operator
              .request<{ code?: string }>(
                'POST',
                '/api/v1/commands',
                {
                  target: { selector: 'tag=streetlight' },
                  command: 'setDim',
                  params: { level: 99 },
                  idempotencyKey: `chaos-during-cut-${Date.now()}`,
                },
                5_000,
              )
              .catch(() => undefined);
            const key = probe ? `${probe.status} ${probe.body.code ?? ''}`.trim() : 'no answer';
            answers.set(key, (answers.get(key) ?? 0) + 1);
            if (probe?.status === 503) refused += 1;
            await sleep(1_000);
          }
          stack.postgres.restore();
          // Nothing half-written: the commands refused during the cut do not exist afterwards.
          let after = before;
          for (let i = 0; i < 30; i++) {
            const n = await commandCount(stack.as.viewer).catch(() => undefined);
            if (n !== undefined) {
              after = n;
              break;
            }
            await sleep(1_000);
          }
          const seen = [...answers].map(([k, n]) => `${n}x ${k}`).join(', ');
          return {
            note: `Postgres cut for ${options.outageSeconds} s; commands sent during the cut: ${seen}; ${after - before} of the ${refused} refused ones exist afterwards`,
            strayWrites: after - before,
          };
        },
      });
  }
}
