import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import type { JobDefinition, QueueName } from '@fleet/contracts';
import { Queue, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.tokens.js';
import { REDIS } from '../redis/redis.tokens.js';

/** Central defaults: bounded retries with backoff, and finished jobs kept long enough to dedupe re-adds. */
export const DEFAULT_JOB_OPTIONS: JobsOptions = {
  attempts: 8,
  backoff: { type: 'exponential', delay: 1_000 },
  removeOnComplete: { age: 24 * 3600, count: 100_000 },
  removeOnFail: { age: 7 * 24 * 3600 },
};

export interface EnqueueOptions {
  delayMs?: number;
  /** BullMQ priority: 1 is highest. */
  priority?: number;
}

/**
 * The producer side of BullMQ. Services say what (a declared job and its payload); the job id comes
 * from the definition, so the same database row never becomes two jobs.
 */
@Injectable()
export class JobQueueAdapter implements OnModuleDestroy {
  private readonly logger = new Logger(JobQueueAdapter.name);
  private readonly queues = new Map<QueueName, Queue>();

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  queue(name: QueueName): Queue {
    let queue = this.queues.get(name);
    if (!queue) {
      // Producers fail fast when Redis is gone (the outbox in Postgres keeps the intent).
      queue = new Queue(name, {
        connection: this.redis,
        prefix: this.config.REDIS_PREFIX,
        defaultJobOptions: DEFAULT_JOB_OPTIONS,
      });
      queue.on('error', (error) => {
        this.logger.warn({ err: error, queue: name }, 'queue error');
      });
      this.queues.set(name, queue);
    }
    return queue;
  }

  async enqueue<P extends object>(
    definition: JobDefinition<P>,
    payload: P,
    options: EnqueueOptions = {},
  ): Promise<void> {
    await this.queue(definition.queue).add(definition.name, payload, {
      jobId: definition.jobId(payload),
      delay: options.delayMs,
      priority: options.priority,
    });
  }

  /** Many jobs of one definition in one round trip per chunk. */
  async enqueueMany<P extends object>(
    definition: JobDefinition<P>,
    payloads: readonly P[],
    options: EnqueueOptions = {},
  ): Promise<void> {
    const queue = this.queue(definition.queue);
    for (let i = 0; i < payloads.length; i += 1000) {
      await queue.addBulk(
        payloads.slice(i, i + 1000).map((payload) => ({
          name: definition.name,
          data: payload,
          opts: {
            jobId: definition.jobId(payload),
            delay: options.delayMs,
            priority: options.priority,
          },
        })),
      );
    }
  }

  /** Removes a pending job (e.g. a TTL timer that is no longer needed); missing jobs are fine. */
  async cancel<P extends object>(definition: JobDefinition<P>, payload: P): Promise<void> {
    await this.queue(definition.queue)
      .remove(definition.jobId(payload))
      .catch(() => 0);
  }

  async counts(name: QueueName): Promise<Record<string, number>> {
    return this.queue(name).getJobCounts(
      'waiting',
      'active',
      'delayed',
      'failed',
      'completed',
      'prioritized',
    );
  }

  async onModuleDestroy(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.close().catch(() => undefined)));
  }
}
