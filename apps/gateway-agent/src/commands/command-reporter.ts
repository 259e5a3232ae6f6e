import type { CommandAckMessage, CommandResult, CommandResultMessage } from '@fleet/contracts';
import type { AgentLogger } from '../agent/agent-logger.js';

export type CommandUplink = CommandAckMessage | CommandResultMessage;

export interface CommandReporterOptions {
  /** Into the disk outbox: resolves once stored (never waits for the broker's PUBACK). */
  publish: (message: CommandUplink) => Promise<unknown>;
  logger: AgentLogger;
  /** Results wait at most this long to share a message (default 200 ms). */
  batchMs?: number;
  now?: () => number;
}

/** Contract bounds: 1,000 ids or results per message; results kept well under the 256 KiB channel limit. */
const MAX_IDS = 1_000;
const MAX_RESULTS = 1_000;
const MAX_RESULT_BYTES = 192 * 1024;

/**
 * Reports to the control plane through the outbox: acknowledgements at once (one message per
 * batch received), results gathered for a moment and sent in batches.
 */
export class CommandReporter {
  private pending: CommandResult[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private readonly now: () => number;
  private reported = 0;

  constructor(private readonly options: CommandReporterOptions) {
    this.now = options.now ?? (() => Date.now());
  }

  async ack(executionIds: readonly string[]): Promise<void> {
    for (let i = 0; i < executionIds.length; i += MAX_IDS) {
      await this.options.publish({
        v: 1,
        type: 'cmd_ack',
        ts: this.now(),
        executionIds: executionIds.slice(i, i + MAX_IDS),
      });
    }
  }

  result(result: CommandResult): void {
    this.pending.push(result);
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, this.options.batchMs ?? 200);
  }

  /** Stores every gathered result in the outbox now. */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.flushing = this.flushing.then(() => this.drain());
    return this.flushing;
  }

  get resultsReported(): number {
    return this.reported;
  }

  private async drain(): Promise<void> {
    while (this.pending.length > 0) {
      const batch: CommandResult[] = [];
      let bytes = 0;
      while (this.pending.length > 0 && batch.length < MAX_RESULTS) {
        const size = Buffer.byteLength(JSON.stringify(this.pending[0]));
        if (batch.length > 0 && bytes + size > MAX_RESULT_BYTES) break;
        batch.push(this.pending.shift()!);
        bytes += size;
      }
      try {
        await this.options.publish({ v: 1, type: 'cmd_result', results: batch });
        this.reported += batch.length;
      } catch (error) {
        // The outbox refused (closed or full): these results are lost; the control plane expires them.
        this.options.logger.error(
          { err: (error as Error).message, results: batch.map((r) => r.executionId) },
          'command results could not be stored',
        );
      }
    }
  }
}
