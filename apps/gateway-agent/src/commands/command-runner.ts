import type { CommandBatchMessage, CommandExecution, CommandResult } from '@fleet/contracts';
import { CommandExecutor, sleep, type CommandTargets } from '@fleet/fieldbus';
import { CommandError, resolveCommand, resolveSafetyStop, type Operation } from '@fleet/profiles';
import type { AgentLogger } from '../agent/agent-logger.js';
import type { ExecutionDedupe } from '../connectivity/index.js';
import type { RuntimePlan } from '../runtime/runtime-plan.js';
import { CommandDevices, type TargetSource } from './command-devices.js';
import { CommandReporter, type CommandUplink } from './command-reporter.js';
import { executionResult, isTransient, notRun } from './execution-outcome.js';

export interface CommandRetryPolicy {
  /** Runs of one execution at most, while its faults are transient (default 3). */
  attempts: number;
  /** Wait before the second run; doubles after each (default 1 s). */
  backoffMs: number;
}

export interface CommandRunnerOptions {
  /** Execution ids already taken on (persisted: survives restarts); closed by stop(). */
  dedupe: Pick<ExecutionDedupe, 'markSeen' | 'close'>;
  runtime: TargetSource;
  publish: (message: CommandUplink) => Promise<unknown>;
  logger: AgentLogger;
  retry?: Partial<CommandRetryPolicy>;
  /** Executions running at once across devices (one at a time per device; default 8). */
  concurrency?: number;
  resultBatchMs?: number;
  now?: () => number;
}

type EntryState = 'pending' | 'running' | 'done';

interface Entry {
  execution: CommandExecution;
  state: EntryState;
  seq: number;
}

export interface CommandRunnerStats {
  received: number;
  duplicates: number;
  pending: number;
  running: number;
  succeeded: number;
  failed: number;
  timedOut: number;
  notStarted: number;
  retries: number;
}

/** Executions remembered in memory (for redeliveries and deadline changes within this boot). */
const REMEMBERED = 10_000;

/**
 * Runs `cmd` batches on this gateway's devices. Each execution is recorded (ExecutionDedupe, on
 * disk) and acknowledged at once, then queued by priority and run through the field-bus executor
 * at command priority — one at a time per device — unless its deadline passed first. Transient
 * faults (timeout, busy) run again with backoff up to a bound; permanent ones do not. Results go
 * back in batches. A redelivered execution is acknowledged again but never run twice; an execution
 * re-sent with an earlier deadline (a cancel) is dropped if it has not started.
 */
export class CommandRunner {
  private readonly entries = new Map<string, Entry>();
  private readonly queue: Entry[] = [];
  private readonly busyDevices = new Set<string>();
  private readonly running = new Set<Promise<void>>();
  private readonly devices: CommandDevices;
  private readonly reporter: CommandReporter;
  private readonly retry: CommandRetryPolicy;
  private readonly concurrency: number;
  private readonly now: () => number;
  private readonly abort = new AbortController();
  private seq = 0;
  private stopping = false;
  private readonly counters = {
    received: 0,
    duplicates: 0,
    succeeded: 0,
    failed: 0,
    timedOut: 0,
    notStarted: 0,
    retries: 0,
  };

  constructor(private readonly options: CommandRunnerOptions) {
    this.devices = new CommandDevices(options.runtime);
    this.now = options.now ?? (() => Date.now());
    this.reporter = new CommandReporter({
      publish: options.publish,
      logger: options.logger,
      now: this.now,
      ...(options.resultBatchMs === undefined ? {} : { batchMs: options.resultBatchMs }),
    });
    this.retry = { attempts: 3, backoffMs: 1_000, ...options.retry };
    this.concurrency = options.concurrency ?? 8;
  }

  /** The runtime now runs this plan (called after every applied configuration). */
  usePlan(plan: RuntimePlan): void {
    this.devices.use(plan);
  }

  /** The downlink handler for `cmd`: records and acknowledges, then returns; execution runs after. */
  async accept(batch: CommandBatchMessage): Promise<void> {
    const ack: string[] = [];
    const fresh: Entry[] = [];
    for (const execution of batch.executions) {
      const id = execution.executionId;
      this.counters.received += 1;
      const known = this.entries.get(id);
      if (known) {
        this.counters.duplicates += 1;
        // A cancel re-sends the execution with its deadline moved to now.
        if (known.state === 'pending' && execution.expiresAt < known.execution.expiresAt)
          known.execution = { ...known.execution, expiresAt: execution.expiresAt };
        ack.push(id);
        continue;
      }
      if (this.stopping) continue;
      const isNew = await this.options.dedupe.markSeen(id);
      ack.push(id);
      if (!isNew) {
        // Taken on by an earlier run of the agent that stopped before reporting it: not run again.
        this.counters.duplicates += 1;
        this.remember({ execution, state: 'done', seq: this.seq++ });
        this.finish(
          notRun(
            id,
            'EXECUTION_INTERRUPTED',
            'the gateway agent restarted after receiving this execution; it is not run twice',
            this.now(),
          ),
        );
        continue;
      }
      const entry: Entry = { execution, state: 'pending', seq: this.seq++ };
      this.remember(entry);
      fresh.push(entry);
    }
    if (ack.length > 0) await this.reporter.ack(ack);
    this.queue.push(...fresh);
    if (fresh.length > 0)
      this.options.logger.info(
        { commandId: batch.correlationId, executions: fresh.length, queued: this.queue.length },
        'command batch accepted',
      );
    this.pump();
  }

  /**
   * Stops taking work: what has not started is reported as not run, running executions get
   * `graceMs` to finish (then are aborted, which runs their safety stop), and every result is
   * stored in the outbox.
   */
  async stop(graceMs = 5_000): Promise<void> {
    this.stopping = true;
    for (const entry of this.queue.splice(0)) {
      entry.state = 'done';
      this.finish(
        notRun(
          entry.execution.executionId,
          'AGENT_STOPPED',
          'the gateway agent stopped before running this execution',
          this.now(),
        ),
      );
    }
    const all = Promise.all([...this.running]);
    const timer = setTimeout(() => {
      this.abort.abort();
    }, graceMs);
    await all;
    clearTimeout(timer);
    await this.reporter.flush();
    await this.options.dedupe.close();
  }

  stats(): CommandRunnerStats {
    return {
      ...this.counters,
      pending: this.queue.length,
      running: this.running.size,
    };
  }

  private remember(entry: Entry): void {
    this.entries.set(entry.execution.executionId, entry);
    if (this.entries.size <= REMEMBERED) return;
    for (const [id, old] of this.entries) {
      if (this.entries.size <= REMEMBERED) break;
      if (old.state === 'done') this.entries.delete(id);
    }
  }

  /** Starts the highest-priority executions whose device is free, up to the concurrency. */
  private pump(): void {
    while (!this.stopping && this.running.size < this.concurrency) {
      const next = this.pickNext();
      if (!next) return;
      this.queue.splice(this.queue.indexOf(next), 1);
      const deviceId = next.execution.deviceId;
      this.busyDevices.add(deviceId);
      next.state = 'running';
      const run = this.run(next.execution)
        .catch((error: unknown) => {
          this.options.logger.error(
            { err: (error as Error).message, executionId: next.execution.executionId },
            'command execution crashed',
          );
          return notRun(
            next.execution.executionId,
            'AGENT_ERROR',
            (error as Error).message,
            this.now(),
          );
        })
        .then((result) => {
          next.state = 'done';
          this.finish(result);
        })
        .finally(() => {
          this.busyDevices.delete(deviceId);
          this.running.delete(run);
          this.pump();
        });
      this.running.add(run);
    }
  }

  private pickNext(): Entry | undefined {
    let best: Entry | undefined;
    for (const entry of this.queue) {
      if (this.busyDevices.has(entry.execution.deviceId)) continue;
      if (
        !best ||
        entry.execution.priority > best.execution.priority ||
        (entry.execution.priority === best.execution.priority && entry.seq < best.seq)
      )
        best = entry;
    }
    return best;
  }

  private async run(execution: CommandExecution): Promise<CommandResult> {
    const id = execution.executionId;
    const log = this.options.logger.child({
      executionId: id,
      commandId: execution.commandId,
      deviceId: execution.deviceId,
    });
    if (this.now() > execution.expiresAt)
      return notRun(
        id,
        'EXPIRED',
        'not started before its deadline (expired or canceled)',
        this.now(),
      );
    const device = this.devices.resolve(execution.deviceId);
    if (!device)
      return notRun(
        id,
        'UNKNOWN_DEVICE',
        `device ${execution.deviceId} is not in this gateway's running configuration`,
        this.now(),
      );
    let operations: Operation[];
    let safetyStop: Operation[];
    try {
      const address = device.address === undefined ? {} : { address: device.address };
      operations = resolveCommand(device.profile, execution.command, execution.params, address);
      safetyStop = resolveSafetyStop(device.profile, execution.command, execution.params, address);
    } catch (error) {
      if (!(error instanceof CommandError)) throw error;
      return notRun(id, error.code, `${device.profile.id}: ${error.message}`, this.now());
    }
    return this.attempt(execution, device.targets, operations, safetyStop, log);
  }

  /** Runs the operations, again after a backoff while faults are transient and time allows. */
  private async attempt(
    execution: CommandExecution,
    targets: CommandTargets,
    operations: readonly Operation[],
    safetyStop: readonly Operation[],
    log: AgentLogger,
  ): Promise<CommandResult> {
    const executor = new CommandExecutor(targets);
    const startedAt = this.now();
    for (let attempt = 1; ; attempt++) {
      const result = await executor.execute(operations, { safetyStop, signal: this.abort.signal });
      const failure = result.error;
      const delayMs = this.retry.backoffMs * 2 ** (attempt - 1);
      const again =
        !result.ok &&
        failure !== undefined &&
        isTransient(failure) &&
        attempt < this.retry.attempts &&
        !this.abort.signal.aborted &&
        this.now() + delayMs < execution.expiresAt;
      if (!again) {
        const wire = executionResult(execution.executionId, result, {
          startedAt,
          finishedAt: this.now(),
          attempts: attempt,
        });
        const fields = { outcome: wire.outcome, attempts: attempt, error: wire.error?.code };
        if (wire.outcome === 'succeeded') log.info(fields, 'command executed');
        else log.warn({ ...fields, reason: wire.error?.message }, 'command failed');
        return wire;
      }
      this.counters.retries += 1;
      log.info({ attempt, code: failure.code, retryInMs: delayMs }, 'transient fault; retrying');
      await sleep(delayMs, this.abort.signal).catch(() => undefined);
    }
  }

  private finish(result: CommandResult): void {
    if (result.outcome === 'succeeded') this.counters.succeeded += 1;
    else if (result.outcome === 'timed_out') this.counters.timedOut += 1;
    else if (result.error?.code === 'EXPIRED' || result.error?.code === 'AGENT_STOPPED')
      this.counters.notStarted += 1;
    else this.counters.failed += 1;
    this.reporter.result(result);
  }
}
