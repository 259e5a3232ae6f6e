import { Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { FleetEvents } from '../events/fleet-events.service.js';
import { countsFrom, unfinishedOf } from './command-states.js';
import { CommandExecutionsRepository } from './command-executions.repository.js';

/** At most one progress event per command this often, per process. */
export const PROGRESS_INTERVAL_MS = 300;

/**
 * Streams `command.progress` (counts by state, from Postgres) to operators over SSE, throttled per
 * command: a burst of thousands of acknowledgements becomes a few events a second, the last of
 * which always reflects the final state.
 */
@Injectable()
export class CommandProgress implements OnModuleDestroy {
  private readonly logger = new Logger(CommandProgress.name);
  private readonly pending = new Map<string, NodeJS.Timeout>();
  private readonly lastAt = new Map<string, number>();

  constructor(
    private readonly executions: CommandExecutionsRepository,
    private readonly events: FleetEvents,
  ) {}

  /** Something about this command changed: publish its counts soon. */
  touch(commandId: string, tenantId: string): void {
    if (this.pending.has(commandId)) return;
    const wait = Math.max(0, (this.lastAt.get(commandId) ?? 0) + PROGRESS_INTERVAL_MS - Date.now());
    this.pending.set(
      commandId,
      setTimeout(() => {
        void this.flush(commandId, tenantId);
      }, wait),
    );
  }

  private async flush(commandId: string, tenantId: string): Promise<void> {
    this.pending.delete(commandId);
    this.lastAt.set(commandId, Date.now());
    try {
      const counts = countsFrom(await this.executions.counts([commandId]));
      const done = unfinishedOf(counts) === 0;
      this.events.publish({ kind: 'command.progress', tenantId, commandId, counts, done });
      if (done) this.lastAt.delete(commandId);
    } catch (error) {
      this.logger.warn({ err: error, commandId }, 'command progress not published');
    }
    // Forget commands that went quiet without finishing (their next change publishes at once).
    const stale = Date.now() - 60_000;
    for (const [id, at] of this.lastAt) if (at < stale) this.lastAt.delete(id);
  }

  onModuleDestroy(): void {
    for (const timer of this.pending.values()) clearTimeout(timer);
    this.pending.clear();
  }
}
