// class-transformer's @Type reads design metadata through the Reflect API.
import 'reflect-metadata';
import { Type } from 'class-transformer';
import {
  Equals,
  IsIn,
  IsNumber,
  IsString,
  Length,
  Matches,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';
import { ENTITY_ID_PATTERN, Optional } from './contract-validators.js';
import { ErrorDetailDto, IsTimestamp, VersionedMessageDto, type Plain } from './message-parts.js';

/** Phases a gateway reports; scheduled and timed_out are decided by the control plane alone. */
export const OTA_REPORTED_PHASES = [
  'downloading',
  'downloaded',
  'installing',
  'rebooting',
  'verifying',
  'succeeded',
  'failed',
  'rolled_back',
  'canceled',
] as const;
export type OtaReportedPhase = (typeof OTA_REPORTED_PHASES)[number];

/**
 * `ota/status` (uplink, buffered). succeeded means: running the new version after the restart,
 * and committed. `runningVersion` is always the version actually running, so a rollback is visible.
 */
export class OtaStatusMessageDto extends VersionedMessageDto {
  @Equals('ota_status')
  type!: 'ota_status';

  @Matches(ENTITY_ID_PATTERN)
  deploymentId!: string;

  @IsIn(OTA_REPORTED_PHASES)
  phase!: OtaReportedPhase;

  /** Percent of the current phase, 0–100 (download progress mostly). */
  @Optional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(100)
  progress?: number;

  @IsString()
  @Length(1, 64)
  runningVersion!: string;

  @Optional()
  @ValidateNested()
  @Type(() => ErrorDetailDto)
  error?: ErrorDetailDto;

  @IsTimestamp()
  ts!: number;
}

export type OtaStatusMessage = Plain<OtaStatusMessageDto>;
