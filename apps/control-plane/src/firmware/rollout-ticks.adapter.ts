import { Injectable } from '@nestjs/common';
import { ROLLOUT_TICK } from '@fleet/contracts';
import { JobQueueAdapter } from '../queue/job-queue.adapter.js';

/** Tick slots are whole seconds: callers asking for "a tick around then" share one job. */
export const TICK_GRID_MS = 1_000;

/**
 * Schedules rollout ticks on BullMQ. Job ids are `rollout-tick:<rolloutId>:<slot>`: requests for the
 * same slot merge while the job waits, and ticks are removed once done (a rollout ticks for days;
 * their history would only fill Redis).
 */
@Injectable()
export class RolloutTicksAdapter {
  constructor(private readonly queues: JobQueueAdapter) {}

  async schedule(rolloutId: string, atMs: number, now = Date.now()): Promise<void> {
    const slot = Math.ceil(atMs / TICK_GRID_MS) * TICK_GRID_MS;
    const payload = { rolloutId, slot };
    await this.queues.queue(ROLLOUT_TICK.queue).add(ROLLOUT_TICK.name, payload, {
      jobId: ROLLOUT_TICK.jobId(payload),
      delay: Math.max(0, slot - now),
      removeOnComplete: true,
      removeOnFail: { age: 3600 },
      attempts: 3,
      backoff: { type: 'exponential', delay: 1_000 },
    });
  }

  async scheduleMany(rolloutIds: readonly string[], atMs: number): Promise<void> {
    for (const id of rolloutIds) await this.schedule(id, atMs);
  }
}
