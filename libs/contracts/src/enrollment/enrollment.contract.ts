import 'reflect-metadata';
import { Type } from 'class-transformer';
import {
  IsIn,
  IsOptional,
  IsString,
  IsUrl,
  Length,
  Matches,
  ValidateNested,
} from 'class-validator';

/** The claim code a technician types: 12 Crockford base32 characters, shown as XXXX-XXXX-XXXX. */
export const CLAIM_CODE_PATTERN =
  /^[0-9A-HJKMNP-TV-Z]{4}-?[0-9A-HJKMNP-TV-Z]{4}-?[0-9A-HJKMNP-TV-Z]{4}$/i;

const SERIAL = /^[A-Za-z0-9._:-]{1,64}$/;
const MODEL = /^[A-Za-z0-9._+-]{1,64}$/;
const VERSION = /^[0-9A-Za-z.+-]{1,64}$/;

/** `POST /api/v1/enrollments`, sent by `gateway-agent enroll`. */
export class EnrollmentRequestDto {
  @Matches(CLAIM_CODE_PATTERN, { message: 'claimCode must look like XXXX-XXXX-XXXX' })
  claimCode!: string;

  @Matches(SERIAL, { message: 'serialNumber must be 1-64 characters of A-Z a-z 0-9 . _ : -' })
  serialNumber!: string;

  @Matches(MODEL, { message: 'model must be 1-64 characters of A-Z a-z 0-9 . _ + -' })
  model!: string;

  @Matches(VERSION, { message: 'hardwareRevision must be 1-64 characters of A-Z a-z 0-9 . + -' })
  hardwareRevision!: string;

  @Matches(VERSION, { message: 'agentVersion must be 1-64 characters of A-Z a-z 0-9 . + -' })
  agentVersion!: string;

  @Matches(VERSION, { message: 'firmwareVersion must be 1-64 characters of A-Z a-z 0-9 . + -' })
  firmwareVersion!: string;
}

export const GATEWAY_LIFECYCLES = ['pending', 'active', 'rejected', 'revoked'] as const;
export type GatewayLifecycle = (typeof GATEWAY_LIFECYCLES)[number];

export class MqttCredentialsDto {
  @IsString() @Length(1, 512) url!: string;
  @IsString() @Length(1, 128) username!: string;
  @IsString() @Length(16, 256) password!: string;
  @IsString() @Length(1, 128) clientId!: string;
}

/** The answer: who the gateway is now, and its MQTT credentials (returned once, never again). */
export class EnrollmentResponseDto {
  @IsString() gatewayId!: string;
  @IsString() tenantId!: string;
  @IsString() siteId!: string;
  @IsIn(GATEWAY_LIFECYCLES) lifecycle!: GatewayLifecycle;
  @ValidateNested() @Type(() => MqttCredentialsDto) mqtt!: MqttCredentialsDto;
  @IsOptional() @IsUrl({ require_tld: false }) server?: string;
}

/** Normalises what a technician typed: case, dashes, spaces, and look-alike letters. */
export function normalizeClaimCode(input: string): string {
  return input.toUpperCase().replace(/[\s-]/g, '').replace(/O/g, '0').replace(/[IL]/g, '1');
}
