import { Equals, IsBoolean, IsInt, IsString, Length, Max, Min } from 'class-validator';
import { MAX_TIMESTAMP_MS, Optional } from './contract-validators.js';

/** The version every message carries in `v`; bump on a breaking change of any message. */
export const MQTT_CONTRACT_VERSION = 1;

/**
 * The plain-object shape of a contract class: what code builds and reads. The *Dto classes exist to
 * validate and document; everything else uses these structural types (object literals welcome).
 */
export type Plain<T> = T extends readonly (infer U)[]
  ? Plain<U>[]
  : T extends object
    ? { [K in keyof T]: Plain<T[K]> }
    : T;

/** One field-level problem: the dotted path (`readings[3].value`) and what is wrong with it. */
export interface ValidationIssue {
  path: string;
  message: string;
}

/** Fields every message carries. */
export abstract class VersionedMessageDto {
  @Equals(MQTT_CONTRACT_VERSION)
  v!: typeof MQTT_CONTRACT_VERSION;
}

/** An error code (stable, machine-readable) and its meaning (for people). */
export class ErrorDetailDto {
  @IsString()
  @Length(1, 64)
  code!: string;

  @IsString()
  @Length(0, 1024)
  message!: string;

  /** Whether trying again later may succeed (bus busy, timeout) or not (illegal address). */
  @Optional()
  @IsBoolean()
  retryable?: boolean;
}

export class ValidationIssueDto implements ValidationIssue {
  @IsString()
  @Length(0, 256)
  path!: string;

  @IsString()
  @Length(1, 512)
  message!: string;
}

/** Decorators for an epoch-milliseconds timestamp. */
export function IsTimestamp(): PropertyDecorator {
  return (target: object, key: string | symbol) => {
    IsInt()(target, key);
    Min(0)(target, key);
    Max(MAX_TIMESTAMP_MS)(target, key);
  };
}

export type ErrorDetail = Plain<ErrorDetailDto>;
