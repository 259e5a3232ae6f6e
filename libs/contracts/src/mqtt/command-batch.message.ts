// class-transformer's @Type reads design metadata through the Reflect API.
import 'reflect-metadata';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  Equals,
  IsArray,
  IsInt,
  Matches,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';
import {
  ENTITY_ID_PATTERN,
  IsParamRecord,
  NAME_PATTERN,
  Optional,
  type ParamValue,
} from './contract-validators.js';
import { IsTimestamp, VersionedMessageDto, type Plain } from './message-parts.js';

export const MAX_COMMAND_PRIORITY = 100;

export class CommandExecutionDto {
  @Matches(ENTITY_ID_PATTERN)
  executionId!: string;

  @Matches(ENTITY_ID_PATTERN)
  commandId!: string;

  @Matches(ENTITY_ID_PATTERN)
  deviceId!: string;

  /** The profile command name, e.g. setDim. */
  @Matches(NAME_PATTERN)
  command!: string;

  @IsParamRecord(64)
  params!: Record<string, ParamValue>;

  /** 0–100, higher runs first; every operator command still goes ahead of routine polling. */
  @IsInt()
  @Min(0)
  @Max(MAX_COMMAND_PRIORITY)
  priority!: number;

  /** Epoch ms after which the agent must not start the execution (gateway clocks are NTP-synced). */
  @IsTimestamp()
  expiresAt!: number;
}

/** `cmd` (downlink): a batch of executions for devices behind one gateway. */
export class CommandBatchMessageDto extends VersionedMessageDto {
  @Equals('cmd')
  type!: 'cmd';

  @Optional()
  @Matches(ENTITY_ID_PATTERN)
  correlationId?: string;

  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(1_000)
  @ValidateNested({ each: true })
  @Type(() => CommandExecutionDto)
  executions!: CommandExecutionDto[];
}

export type CommandExecution = Plain<CommandExecutionDto>;
export type CommandBatchMessage = Plain<CommandBatchMessageDto>;
