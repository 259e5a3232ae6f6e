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
  Matches,
  Min,
  ValidateNested,
} from 'class-validator';
import { Optional } from './contract-validators.js';
import { IsTimestamp, VersionedMessageDto, type Plain } from './message-parts.js';
import { BOOT_ID_PATTERN } from './status.message.js';

export const BUS_STATES = ['ok', 'degraded', 'down'] as const;
export type BusState = (typeof BUS_STATES)[number];

/** The agent's uplink outbox (disk buffer) as counters. */
export class OutboxStatsDto {
  @IsInt()
  @Min(0)
  depth!: number;

  @IsInt()
  @Min(0)
  bytes!: number;

  /** Messages dropped because the outbox was full, since the outbox was created. */
  @IsInt()
  @Min(0)
  dropped!: number;
}

export class BusHealthDto {
  /** The bus key: serial path or `host:port`. */
  @IsString()
  @Length(1, 256)
  id!: string;

  @IsIn(BUS_STATES)
  state!: BusState;

  @Optional()
  @IsInt()
  @Min(0)
  errors?: number;

  @Optional()
  @IsString()
  @Length(0, 512)
  lastError?: string;
}

export class DeviceHealthSummaryDto {
  @IsInt()
  @Min(0)
  total!: number;

  @IsInt()
  @Min(0)
  healthy!: number;

  @IsInt()
  @Min(0)
  unhealthy!: number;
}

/** `heartbeat` (uplink): liveness plus a health summary; not buffered while offline. */
export class HeartbeatMessageDto extends VersionedMessageDto {
  @Equals('heartbeat')
  type!: 'heartbeat';

  @Matches(BOOT_ID_PATTERN)
  bootId!: string;

  @IsTimestamp()
  ts!: number;

  @IsInt()
  @Min(0)
  uptimeS!: number;

  /** Version of the configuration the agent runs (0 before it received any). */
  @IsInt()
  @Min(0)
  configVersion!: number;

  @ValidateNested()
  @Type(() => OutboxStatsDto)
  buffer!: OutboxStatsDto;

  @IsArray()
  @ArrayMaxSize(64)
  @ValidateNested({ each: true })
  @Type(() => BusHealthDto)
  buses!: BusHealthDto[];

  @ValidateNested()
  @Type(() => DeviceHealthSummaryDto)
  devices!: DeviceHealthSummaryDto;
}

export type OutboxStats = Plain<OutboxStatsDto>;
export type BusHealth = Plain<BusHealthDto>;
export type DeviceHealthSummary = Plain<DeviceHealthSummaryDto>;
export type HeartbeatMessage = Plain<HeartbeatMessageDto>;
