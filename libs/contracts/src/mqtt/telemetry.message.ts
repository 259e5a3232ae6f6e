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
  EachElement,
  ENTITY_ID_PATTERN,
  isPlainObject,
  isWireValue,
  IsWireValue,
  MAX_TIMESTAMP_MS,
  NAME_PATTERN,
  Optional,
  type ElementIssue,
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

const READING_KEYS: ReadonlySet<string> = new Set(['deviceId', 'point', 'ts', 'value']);

/**
 * The same rules as TelemetryReadingDto, as one loop: batches carry thousands of readings, and a
 * class instance plus decorator run per reading would cost ~20 µs each on both sides.
 */
export function checkTelemetryReading(reading: unknown, index: number): ElementIssue[] {
  const at = `[${index}]`;
  if (!isPlainObject(reading)) return [{ subPath: at, message: 'must be a JSON object' }];
  const issues: ElementIssue[] = [];
  for (const key of Object.keys(reading)) {
    if (!READING_KEYS.has(key))
      issues.push({ subPath: `${at}.${key}`, message: `property ${key} should not exist` });
  }
  const { deviceId, point, ts, value } = reading;
  if (typeof deviceId !== 'string' || !ENTITY_ID_PATTERN.test(deviceId)) {
    issues.push({ subPath: `${at}.deviceId`, message: `must match ${ENTITY_ID_PATTERN.source}` });
  }
  if (typeof point !== 'string' || !NAME_PATTERN.test(point)) {
    issues.push({ subPath: `${at}.point`, message: `must match ${NAME_PATTERN.source}` });
  }
  if (typeof ts !== 'number' || !Number.isInteger(ts) || ts < 0 || ts > MAX_TIMESTAMP_MS) {
    issues.push({
      subPath: `${at}.ts`,
      message: 'must be an epoch-milliseconds integer, not less than 0',
    });
  }
  if (!isWireValue(value)) {
    issues.push({
      subPath: `${at}.value`,
      message: 'must be a finite number, a boolean, a short string or an object of boolean flags',
    });
  }
  return issues;
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
  @EachElement(checkTelemetryReading)
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
