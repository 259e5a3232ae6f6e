// class-transformer's @Type reads design metadata through the Reflect API.
import 'reflect-metadata';
import { Type } from 'class-transformer';
import {
  Equals,
  IsBase64,
  IsBoolean,
  IsIn,
  IsInt,
  IsString,
  IsUrl,
  Length,
  Matches,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';
import { ENTITY_ID_PATTERN, IsPlainObject, Optional } from './contract-validators.js';
import { IsTimestamp, VersionedMessageDto, type Plain } from './message-parts.js';

export const OTA_ACTIONS = ['download', 'install', 'cancel'] as const;
export type OtaAction = (typeof OTA_ACTIONS)[number];

export class ManifestSignatureDto {
  @Equals('ed25519')
  alg!: 'ed25519';

  @IsString()
  @Length(1, 64)
  keyId!: string;

  @IsBase64()
  @Length(1, 256)
  value!: string;
}

/**
 * The signed manifest exactly as @fleet/firmware produces it. Its content is checked by the
 * agent with the firmware library against keys pinned on the gateway, not here: the contract
 * only makes sure the shape can be handed over.
 */
export class SignedManifestEnvelopeDto {
  @IsPlainObject()
  manifest!: Record<string, unknown>;

  @ValidateNested()
  @Type(() => ManifestSignatureDto)
  signature!: ManifestSignatureDto;
}

const MAX_PHASE_MS = 7 * 24 * 3600 * 1000;

/** How long each phase may take once started; durations, so gateway clock skew does not matter. */
export class OtaPhaseTimeoutsDto {
  @IsInt()
  @Min(1_000)
  @Max(MAX_PHASE_MS)
  downloadMs!: number;

  @IsInt()
  @Min(1_000)
  @Max(MAX_PHASE_MS)
  installMs!: number;

  @IsInt()
  @Min(1_000)
  @Max(MAX_PHASE_MS)
  verifyMs!: number;
}

/**
 * `ota` (downlink): download (ahead of a maintenance window), install, or cancel one deployment.
 * The download URL and token are short-lived; the agent asks again after tokenExpiresAt.
 */
export class OtaDeploymentMessageDto extends VersionedMessageDto {
  @Equals('ota')
  type!: 'ota';

  @IsIn(OTA_ACTIONS)
  action!: OtaAction;

  @Matches(ENTITY_ID_PATTERN)
  deploymentId!: string;

  @Optional()
  @Matches(ENTITY_ID_PATTERN)
  correlationId?: string;

  @ValidateNested()
  @Type(() => SignedManifestEnvelopeDto)
  manifest!: SignedManifestEnvelopeDto;

  @IsUrl({ protocols: ['http', 'https'], require_protocol: true, require_tld: false })
  @Length(1, 2048)
  downloadUrl!: string;

  @IsString()
  @Length(1, 4096)
  token!: string;

  @IsTimestamp()
  tokenExpiresAt!: number;

  @ValidateNested()
  @Type(() => OtaPhaseTimeoutsDto)
  timeouts!: OtaPhaseTimeoutsDto;

  @Optional()
  @IsBoolean()
  allowDowngrade?: boolean;
}

export type ManifestSignature = Plain<ManifestSignatureDto>;
export type SignedManifestEnvelope = Plain<SignedManifestEnvelopeDto>;
export type OtaPhaseTimeouts = Plain<OtaPhaseTimeoutsDto>;
export type OtaDeploymentMessage = Plain<OtaDeploymentMessageDto>;
