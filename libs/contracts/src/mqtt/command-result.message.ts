// class-transformer's @Type reads design metadata through the Reflect API.
import 'reflect-metadata';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  Equals,
  IsArray,
  IsBoolean,
  IsIn,
  Matches,
  ValidateNested,
} from 'class-validator';
import {
  ENTITY_ID_PATTERN,
  IsWireValue,
  IsWireValueRecord,
  NAME_PATTERN,
  Optional,
  type WireValue,
} from './contract-validators.js';
import { ErrorDetailDto, IsTimestamp, VersionedMessageDto, type Plain } from './message-parts.js';

export const EXECUTION_OUTCOMES = ['succeeded', 'failed', 'timed_out'] as const;
export type ExecutionOutcome = (typeof EXECUTION_OUTCOMES)[number];

/** Read-back after a write: what was expected, what the device reported, and whether it matched. */
export class VerifyOutcomeDto {
  @IsBoolean()
  ok!: boolean;

  @Matches(NAME_PATTERN)
  point!: string;

  @Optional()
  @IsWireValue()
  expected?: WireValue;

  @Optional()
  @IsWireValue()
  actual?: WireValue;
}

export class CommandResultDto {
  @Matches(ENTITY_ID_PATTERN)
  executionId!: string;

  @IsIn(EXECUTION_OUTCOMES)
  outcome!: ExecutionOutcome;

  /** Required unless the outcome is succeeded: a code (e.g. MODBUS_ILLEGAL_ADDRESS) and its meaning. */
  @Optional()
  @ValidateNested()
  @Type(() => ErrorDetailDto)
  error?: ErrorDetailDto;

  /** Values read by the command, by point name. */
  @Optional()
  @IsWireValueRecord(500)
  values?: Record<string, WireValue>;

  @Optional()
  @ValidateNested()
  @Type(() => VerifyOutcomeDto)
  verify?: VerifyOutcomeDto;

  @Optional()
  @IsTimestamp()
  startedAt?: number;

  @IsTimestamp()
  finishedAt!: number;
}

/** `cmd/result` (uplink, buffered on disk while offline): a batch of finished executions. */
export class CommandResultMessageDto extends VersionedMessageDto {
  @Equals('cmd_result')
  type!: 'cmd_result';

  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(1_000)
  @ValidateNested({ each: true })
  @Type(() => CommandResultDto)
  results!: CommandResultDto[];
}

export type VerifyOutcome = Plain<VerifyOutcomeDto>;
export type CommandResult = Plain<CommandResultDto>;
export type CommandResultMessage = Plain<CommandResultMessageDto>;
