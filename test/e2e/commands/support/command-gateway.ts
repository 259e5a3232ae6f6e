import {
  decodeDownlink,
  type CommandExecution,
  type CommandResult,
  type ErrorDetail,
} from '@fleet/contracts';
import type { TestGateway } from '../../../support/gateway-client.js';

/** How a simulated device answers one execution. */
export interface DeviceAnswer {
  outcome: CommandResult['outcome'];
  error?: ErrorDetail;
  values?: CommandResult['values'];
  verify?: CommandResult['verify'];
  /** Time the "device" takes, ms. */
  delayMs?: number;
}

/** `silent`: take the batch without acknowledging or answering (a gateway that hangs). */
export type Behaviour = (execution: CommandExecution) => DeviceAnswer | 'silent';

export const succeed: Behaviour = () => ({ outcome: 'succeeded' });

/**
 * A protocol-level gateway for command tests: on each `cmd` batch it acknowledges at once, runs
 * each new execution once (deduplicating by execution id, as the agent does) unless its deadline
 * passed, and reports results in batches — all per the MQTT contracts. It counts every receipt
 * and every run, so a test can tell a redelivery from a second execution.
 */
export class CommandGateway {
  /** Times each execution id arrived in a `cmd` batch. */
  readonly receipts = new Map<string, number>();
  /** Times each execution id was run (a dedupe bug would show as 2). */
  readonly runs = new Map<string, number>();
  /** Every execution as last received (a cancel re-sends it with an earlier deadline). */
  readonly latest = new Map<string, CommandExecution>();
  readonly dropped = new Set<string>();
  /** Executions taken on (acknowledged and scheduled to run once). */
  private readonly scheduled = new Set<string>();
  private pending: CommandResult[] = [];
  private flushTimer: NodeJS.Timeout | undefined;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    readonly gateway: TestGateway,
    public behaviour: Behaviour = succeed,
  ) {}

  get id(): string {
    return this.gateway.id;
  }

  /** Connects (online) and starts answering command batches. */
  async start(): Promise<void> {
    await this.gateway.connect();
    this.gateway.client!.on('message', (topic, payload) => {
      const decoded = decodeDownlink(topic, payload);
      if (!decoded.ok || decoded.channel !== 'cmd') return;
      void this.onBatch(decoded.message.executions);
    });
  }

  private async onBatch(executions: readonly CommandExecution[]): Promise<void> {
    const acked: string[] = [];
    for (const execution of executions) {
      const id = execution.executionId;
      this.receipts.set(id, (this.receipts.get(id) ?? 0) + 1);
      this.latest.set(id, execution);
      const answer = this.behaviour(execution);
      if (answer === 'silent') continue;
      acked.push(id);
      if (this.scheduled.has(id)) continue;
      this.scheduled.add(id);
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        this.run(id, answer);
      }, answer.delayMs ?? 0);
      this.timers.add(timer);
    }
    if (acked.length > 0 && this.gateway.client?.connected)
      await this.gateway
        .publish({ v: 1, type: 'cmd_ack', ts: Date.now(), executionIds: acked })
        .catch(() => undefined);
  }

  private run(id: string, answer: DeviceAnswer): void {
    // The latest copy decides the deadline: a cancel moves it to "now".
    const execution = this.latest.get(id)!;
    const now = Date.now();
    if (now > execution.expiresAt) {
      this.dropped.add(id);
      this.report({
        executionId: id,
        outcome: 'failed',
        error: { code: 'EXPIRED', message: 'not started before its deadline' },
        finishedAt: now,
      });
      return;
    }
    this.runs.set(id, (this.runs.get(id) ?? 0) + 1);
    const result: CommandResult = {
      executionId: id,
      outcome: answer.outcome,
      startedAt: now,
      finishedAt: Date.now(),
    };
    if (answer.error) result.error = answer.error;
    if (answer.values) result.values = answer.values;
    if (answer.verify) result.verify = answer.verify;
    this.report(result);
  }

  private report(result: CommandResult): void {
    this.pending.push(result);
    this.flushTimer ??= setTimeout(() => {
      this.flushTimer = undefined;
      void this.flush();
    }, 20);
  }

  private async flush(): Promise<void> {
    while (this.pending.length > 0 && this.gateway.client?.connected) {
      const results = this.pending.splice(0, 500);
      await this.gateway.publish({ v: 1, type: 'cmd_result', results }).catch(() => {
        this.pending.unshift(...results);
      });
    }
  }

  async close(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    clearTimeout(this.flushTimer);
    await this.gateway.close();
  }
}
