import { Injectable, Logger } from '@nestjs/common';
import { UUID_PATTERN } from '@fleet/common';
import type { CommandAckMessage, CommandResult, CommandResultMessage } from '@fleet/contracts';
import { CommandDispatchService } from './command-dispatch.service.js';
import {
  CommandExecutionsRepository,
  type ReportedResult,
} from './command-executions.repository.js';
import { CommandProgress } from './command-progress.service.js';

/** What is kept of a result besides its state and error: the device's answer and the agent's timing. */
export function resultRecord(result: CommandResult): Record<string, unknown> | null {
  const record: Record<string, unknown> = {};
  if (result.values !== undefined) record.values = result.values;
  if (result.verify !== undefined) record.verify = result.verify;
  if (result.error?.retryable !== undefined) record.retryable = result.error.retryable;
  if (result.startedAt !== undefined) record.startedAt = new Date(result.startedAt).toISOString();
  record.finishedAt = new Date(result.finishedAt).toISOString();
  return record;
}

export function toReported(result: CommandResult): ReportedResult {
  const failed = result.outcome !== 'succeeded';
  return {
    id: result.executionId.toLowerCase(),
    outcome: result.outcome,
    result: resultRecord(result),
    errorCode: result.error?.code ?? (failed ? 'NO_ERROR_DETAIL' : null),
    errorMessage: result.error?.message ?? (failed ? 'the gateway reported no error detail' : null),
  };
}

/**
 * The uplinks of command execution: `cmd/ack` (the gateway has the executions) and `cmd/result`
 * (they finished). Both are guarded updates that only ever move an execution forward, and only
 * for executions of the gateway that reports them.
 */
@Injectable()
export class CommandReportsService {
  private readonly logger = new Logger(CommandReportsService.name);

  constructor(
    private readonly executions: CommandExecutionsRepository,
    private readonly dispatcher: CommandDispatchService,
    private readonly progress: CommandProgress,
  ) {}

  async onAck(gatewayId: string, tenantId: string, message: CommandAckMessage): Promise<void> {
    const ids = message.executionIds
      .filter((id) => UUID_PATTERN.test(id))
      .map((id) => id.toLowerCase());
    const commandIds = await this.executions.markDelivered(gatewayId, ids);
    for (const commandId of commandIds) this.progress.touch(commandId, tenantId);
  }

  async onResult(
    gatewayId: string,
    tenantId: string,
    message: CommandResultMessage,
  ): Promise<void> {
    const results = message.results.filter((r) => UUID_PATTERN.test(r.executionId)).map(toReported);
    const commandIds = await this.executions.applyResults(gatewayId, results);
    if (commandIds.length === 0 && results.length > 0)
      this.logger.debug(
        { gatewayId, results: results.length },
        'late or duplicate results ignored',
      );
    await this.dispatcher.finish(commandIds);
    for (const commandId of commandIds) this.progress.touch(commandId, tenantId);
  }
}
