import { ArrayMaxSize, ArrayMinSize, Equals, IsArray, Matches } from 'class-validator';
import { ENTITY_ID_PATTERN } from './contract-validators.js';
import { IsTimestamp, VersionedMessageDto, type Plain } from './message-parts.js';

/** `cmd/ack` (uplink): the agent received (and recorded) these executions. */
export class CommandAckMessageDto extends VersionedMessageDto {
  @Equals('cmd_ack')
  type!: 'cmd_ack';

  @IsTimestamp()
  ts!: number;

  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(1_000)
  @Matches(ENTITY_ID_PATTERN, { each: true })
  executionIds!: string[];
}

export type CommandAckMessage = Plain<CommandAckMessageDto>;
