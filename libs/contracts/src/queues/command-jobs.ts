import { IsIn, IsInt, Matches, Max, Min } from 'class-validator';
import { defineJob } from './job-definition.js';

// Database ids of commands, executions and gateways are UUIDs.
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const UUID_MESSAGE = { message: '$property must be a lowercase UUID' };

/** Sends the queued executions of one command on one gateway as `cmd` batches. */
export class CommandDispatchJobDto {
  @Matches(UUID, UUID_MESSAGE)
  commandId!: string;

  @Matches(UUID, UUID_MESSAGE)
  gatewayId!: string;
}

/**
 * Checks, a delivery timeout after a send, that the gateway acknowledged it; what is still `sent`
 * then goes again (the agent dedupes by execution id). `sentAt` (epoch ms of that send) keeps the
 * job id unique per send, so a later send always gets its own check.
 */
export class CommandResendJobDto extends CommandDispatchJobDto {
  @IsInt()
  @Min(0)
  @Max(8.64e15)
  sentAt!: number;
}

export const COMMAND_EXPIRY_PHASES = ['ttl', 'grace'] as const;
export type CommandExpiryPhase = (typeof COMMAND_EXPIRY_PHASES)[number];

/**
 * At the command's TTL (`ttl`): what never reached a gateway expires. A grace period later
 * (`grace`): executions a gateway acknowledged but never reported expire too.
 */
export class CommandExpireJobDto {
  @Matches(UUID, UUID_MESSAGE)
  commandId!: string;

  @IsIn(COMMAND_EXPIRY_PHASES)
  phase!: CommandExpiryPhase;
}

// BullMQ accepts a ':' in a custom job id only when the id has exactly three ':'-separated parts.
export const COMMAND_DISPATCH_JOB = defineJob<CommandDispatchJobDto>({
  queue: 'commands',
  name: 'command.dispatch',
  payload: CommandDispatchJobDto,
  jobId: (p) => `cmd:${p.commandId}:${p.gatewayId}`,
});

export const COMMAND_RESEND_JOB = defineJob<CommandResendJobDto>({
  queue: 'commands',
  name: 'command.resend',
  payload: CommandResendJobDto,
  jobId: (p) => `cmd-resend-${p.sentAt}:${p.commandId}:${p.gatewayId}`,
});

export const COMMAND_EXPIRE_JOB = defineJob<CommandExpireJobDto>({
  queue: 'commands',
  name: 'command.expire',
  payload: CommandExpireJobDto,
  jobId: (p) => `cmd-expire:${p.commandId}:${p.phase}`,
});
