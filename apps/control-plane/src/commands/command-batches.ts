import {
  DEFAULT_MQTT_SIZE_LIMITS,
  MQTT_CONTRACT_VERSION,
  type CommandBatchMessage,
  type CommandExecution,
} from '@fleet/contracts';

export interface BatchLimits {
  maxExecutions: number;
  /** Encoded size of one message, bytes; kept below the `cmd` channel limit. */
  maxBytes: number;
}

export const DEFAULT_BATCH_LIMITS: BatchLimits = {
  maxExecutions: 500,
  maxBytes: Math.floor(DEFAULT_MQTT_SIZE_LIMITS.cmd * 0.8),
};

/**
 * Splits the executions for one gateway into as few `cmd` messages as the limits allow (one for
 * the usual tens of devices behind a gateway), keeping their order.
 */
export function commandBatches(
  executions: readonly CommandExecution[],
  correlationId: string,
  limits: BatchLimits = DEFAULT_BATCH_LIMITS,
): CommandBatchMessage[] {
  const envelope = (items: CommandExecution[]): CommandBatchMessage => ({
    v: MQTT_CONTRACT_VERSION,
    type: 'cmd',
    correlationId,
    executions: items,
  });
  const overhead = Buffer.byteLength(JSON.stringify(envelope([])));
  const batches: CommandBatchMessage[] = [];
  let current: CommandExecution[] = [];
  let bytes = overhead;
  for (const execution of executions) {
    // +1 for the comma between array elements.
    const size = Buffer.byteLength(JSON.stringify(execution)) + 1;
    if (
      current.length > 0 &&
      (current.length >= limits.maxExecutions || bytes + size > limits.maxBytes)
    ) {
      batches.push(envelope(current));
      current = [];
      bytes = overhead;
    }
    current.push(execution);
    bytes += size;
  }
  if (current.length > 0) batches.push(envelope(current));
  return batches;
}
