// class-transformer's @Type reads design metadata through the Reflect API.
import 'reflect-metadata';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  Equals,
  IsArray,
  IsIn,
  IsInt,
  Matches,
  Min,
  ValidateNested,
} from 'class-validator';
import {
  ENTITY_ID_PATTERN,
  IsWireValue,
  NAME_PATTERN,
  Optional,
  type WireValue,
} from './contract-validators.js';
import { ErrorDetailDto, IsTimestamp, VersionedMessageDto, type Plain } from './message-parts.js';
import { BOOT_ID_PATTERN } from './status.message.js';

export const MAX_TELEMETRY_READINGS = 20_000;
export const DEVICE_HEALTH_STATES = ['ok', 'degraded', 'unreachable'] as const;
export type DeviceHealthState = (typeof DEVICE_HEALTH_STATES)[number];

export class TelemetryReadingDto {
  @Matches(ENTITY_ID_PATTERN)
  deviceId!: string;

  @Matches(NAME_PATTERN)
  point!: string;

  @IsTimestamp()
  ts!: number;

  /** 64-bit integers travel as decimal strings (JSON numbers lose precision past 2^53). */
  @IsWireValue()
  value!: WireValue;
}

export class DeviceHealthChangeDto {
  @Matches(ENTITY_ID_PATTERN)
  deviceId!: string;

  @IsIn(DEVICE_HEALTH_STATES)
  state!: DeviceHealthState;

  @IsTimestamp()
  ts!: number;

  @Optional()
  @ValidateNested()
  @Type(() => ErrorDetailDto)
  error?: ErrorDetailDto;
}

/**
 * `telemetry` (uplink, buffered on disk while offline). (bootId, batchSeq) identifies a batch,
 * so the control plane can drop a batch redelivered under at-least-once semantics.
 */
export class TelemetryMessageDto extends VersionedMessageDto {
  @Equals('telemetry')
  type!: 'telemetry';

  @Matches(BOOT_ID_PATTERN)
  bootId!: string;

  @IsInt()
  @Min(0)
  batchSeq!: number;

  @IsArray()
  @ArrayMaxSize(MAX_TELEMETRY_READINGS)
  @ValidateNested({ each: true })
  @Type(() => TelemetryReadingDto)
  readings!: TelemetryReadingDto[];

  @Optional()
  @IsArray()
  @ArrayMaxSize(5_000)
  @ValidateNested({ each: true })
  @Type(() => DeviceHealthChangeDto)
  health?: DeviceHealthChangeDto[];
}

export type TelemetryReading = Plain<TelemetryReadingDto>;
export type DeviceHealthChange = Plain<DeviceHealthChangeDto>;
export type TelemetryMessage = Plain<TelemetryMessageDto>;
