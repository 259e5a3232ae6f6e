// class-transformer's @Type reads design metadata through the Reflect API.
import 'reflect-metadata';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  Equals,
  IsArray,
  IsIn,
  IsInt,
  IsString,
  Length,
  Min,
  ValidateNested,
} from 'class-validator';
import { Optional } from './contract-validators.js';
import {
  IsTimestamp,
  ValidationIssueDto,
  VersionedMessageDto,
  type Plain,
} from './message-parts.js';

export const CONFIG_ACK_STATUSES = ['applied', 'rejected'] as const;
export type ConfigAckStatus = (typeof CONFIG_ACK_STATUSES)[number];

/** `config/ack` (uplink, buffered): a configuration version applied, or rejected and why. */
export class ConfigAckMessageDto extends VersionedMessageDto {
  @Equals('config_ack')
  type!: 'config_ack';

  @IsInt()
  @Min(0)
  configVersion!: number;

  @IsIn(CONFIG_ACK_STATUSES)
  status!: ConfigAckStatus;

  @Optional()
  @IsString()
  @Length(0, 1024)
  reason?: string;

  @Optional()
  @IsArray()
  @ArrayMaxSize(100)
  @ValidateNested({ each: true })
  @Type(() => ValidationIssueDto)
  issues?: ValidationIssueDto[];

  @IsTimestamp()
  ts!: number;
}

export type ConfigAckMessage = Plain<ConfigAckMessageDto>;
