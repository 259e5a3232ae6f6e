import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { hostname } from 'node:os';
import type { QueueName } from '@fleet/contracts';
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.tokens.js';
import { createRedis } from '../redis/redis.adapter.js';
import { JobHandlers } from './job-handlers.js';
import { Reconcilers } from './reconcilers.js';

/**
 * Runs the BullMQ workers of this process (roles `all` and `worker`). Every payload is validated
 * against its declared class before any work; an invalid one fails for good, without retries.
 */
@Injectable()
export class QueueWorkers implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(QueueWorkers.name);
  private readonly workers: Worker[] = [];

  constructor(
    private readonly handlers: JobHandlers,
    private readonly reconcilers: Reconcilers,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  get enabled(): boolean {
    return this.config.PROCESS_ROLE !== 'api';
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.enabled) return;
    const missing = this.handlers.missing();
    if (missing.length) throw new Error(`jobs declared without a handler: ${missing.join(', ')}`);
    for (const queue of this.handlers.queues()) this.workers.push(this.startWorker(queue));
    await Promise.all(this.workers.map((w) => w.waitUntilReady()));
    this.reconcilers.start();
    this.logger.log(
      { queues: [...this.handlers.queues()], concurrency: this.config.WORKER_CONCURRENCY },
      'workers started',
    );
  }

  private startWorker(queue: QueueName): Worker {
    // BullMQ's own guidance: worker connections never give up on a request.
    const connection = createRedis({
      url: this.config.REDIS_URL,
      maxRetriesPerRequest: null,
      connectionName: `worker-${queue}`,
    });
    const worker = new Worker(queue, (job) => this.process(job), {
      connection,
      prefix: this.config.REDIS_PREFIX,
      concurrency: this.config.WORKER_CONCURRENCY,
      // Recorded on each job (processedBy): which replica ran it, for the dashboard and tests.
      name: `${hostname()}:${process.pid}`,
    });
    worker.on('failed', (job, error) => {
      this.logger.warn(
        { err: error, job: job?.name, jobId: job?.id, attempt: job?.attemptsMade },
        'job failed',
      );
    });
    worker.on('error', (error) => {
      this.logger.warn({ err: error, queue }, 'worker error');
    });
    return worker;
  }

  private async process(job: Job): Promise<void> {
    const registration = this.handlers.get(job.name);
    if (!registration) throw new UnrecoverableError(`no handler for job ${job.name}`);
    const payload = plainToInstance(registration.definition.payload, job.data as object);
    const problems = validateSync(payload, { whitelist: true, forbidNonWhitelisted: true });
    if (problems.length) {
      const reasons = problems.flatMap((p) => Object.values(p.constraints ?? {})).join('; ');
      this.logger.error({ job: job.name, jobId: job.id, reasons }, 'job payload rejected');
      throw new UnrecoverableError(`invalid payload for ${job.name}: ${reasons}`);
    }
    await registration.handler(payload, { attempt: job.attemptsMade + 1, jobId: job.id ?? '' });
  }

  async onApplicationShutdown(): Promise<void> {
    this.reconcilers.stop();
    await Promise.all(this.workers.map((w) => w.close().catch(() => undefined)));
  }
}
