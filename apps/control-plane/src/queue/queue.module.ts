import { Global, Module } from '@nestjs/common';
import { JobHandlers } from './job-handlers.js';
import { JobQueueAdapter } from './job-queue.adapter.js';
import { QueueWorkers } from './queue-workers.js';
import { Reconcilers } from './reconcilers.js';

/** BullMQ producers, workers (roles all/worker), job handler registry and reconcilers. */
@Global()
@Module({
  providers: [JobQueueAdapter, JobHandlers, Reconcilers, QueueWorkers],
  exports: [JobQueueAdapter, JobHandlers, Reconcilers, QueueWorkers],
})
export class QueueModule {}
