import { COMMAND_DISPATCH_JOB } from '@fleet/contracts';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { REDIS_URL } from '../../support/control-plane.js';

/** How many finished command dispatch jobs each worker ran (BullMQ's processedBy = "<host>:<pid>"). */
export async function dispatchesByWorker(
  redisPrefix: string,
  redisUrl = REDIS_URL,
): Promise<Map<string, number>> {
  const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const queue = new Queue(COMMAND_DISPATCH_JOB.queue, { connection, prefix: redisPrefix });
  try {
    const counts = new Map<string, number>();
    for (const job of await queue.getJobs(['completed'], 0, -1)) {
      if (job.name !== COMMAND_DISPATCH_JOB.name) continue;
      const by = job.processedBy ?? 'unknown';
      counts.set(by, (counts.get(by) ?? 0) + 1);
    }
    return counts;
  } finally {
    await queue.close();
    connection.disconnect();
  }
}

/** The worker names of `pids` as BullMQ records them. */
export function ranOn(counts: Map<string, number>, pid: number | undefined): number {
  let n = 0;
  for (const [by, count] of counts) if (by.endsWith(`:${pid}`)) n += count;
  return n;
}
