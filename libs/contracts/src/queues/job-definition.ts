/** The BullMQ queues of the control plane. Each holds work of one concern. */
export const QUEUE_NAMES = ['commands', 'rollouts', 'maintenance'] as const;
export type QueueName = (typeof QUEUE_NAMES)[number];

/**
 * A declared job: its queue, its name and the class its payload must satisfy (checked by the
 * worker before any work). Job ids are derived from database ids by `jobId`, so enqueueing the same
 * work twice is harmless. Payloads carry ids only — never secrets (Redis keeps them in clear).
 */
export interface JobDefinition<P extends object = object> {
  queue: QueueName;
  name: string;
  payload: new () => P;
  jobId(payload: P): string;
}

export function defineJob<P extends object>(definition: JobDefinition<P>): JobDefinition<P> {
  return definition;
}
