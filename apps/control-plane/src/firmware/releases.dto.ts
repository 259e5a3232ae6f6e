import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsObject, IsOptional, IsString, MaxLength, MinLength } from 'class-validator';
import { PageQueryDto } from '../http/pagination.js';

/** The signed manifest envelope `fleetctl firmware sign` writes, as it is. */
export class ReleaseUploadDto {
  @ApiProperty({
    description:
      'the manifest: { version, kind, models, hardwareRevisions?, minVersion?, sha256, size, releaseNotes, createdAt }',
    type: Object,
  })
  @IsObject({ message: 'must be the manifest object of the signed envelope' })
  manifest!: Record<string, unknown>;

  @ApiProperty({ description: "{ alg: 'ed25519', keyId, value }", type: Object })
  @IsObject({ message: 'must be the signature object of the signed envelope' })
  signature!: Record<string, unknown>;
}

export class UploadTicketDto {
  @ApiProperty({ description: 'the id the release will have' }) id!: string;
  @ApiProperty() version!: string;
  @ApiProperty() kind!: string;
  @ApiProperty() size!: number;
  @ApiProperty() sha256!: string;
  @ApiProperty() keyId!: string;
  @ApiProperty({ description: 'PUT the artifact bytes here (application/octet-stream)' })
  uploadPath!: string;
  @ApiProperty() expiresAt!: string;
}

export class ReleaseRecallDto {
  @ApiProperty({ example: 'health check fails on rpi4 1.4' })
  @IsString()
  @MinLength(1)
  @MaxLength(1000)
  reason!: string;
}

export class ReleaseSignatureDto {
  @ApiProperty() keyId!: string;
  @ApiProperty({ description: 'the signing key is revoked: no new rollout may use this release' })
  keyRevoked!: boolean;
}

export class ReleaseDto {
  @ApiProperty() id!: string;
  @ApiProperty() version!: string;
  @ApiProperty({ enum: ['agent-bundle', 'rauc-bundle'] }) kind!: string;
  @ApiProperty({ type: [String] }) models!: string[];
  @ApiPropertyOptional({ type: [String], nullable: true }) hardwareRevisions!: string[] | null;
  @ApiPropertyOptional({ nullable: true, type: String }) minVersion!: string | null;
  @ApiProperty() sha256!: string;
  @ApiProperty() size!: number;
  @ApiProperty() releaseNotes!: string;
  @ApiProperty({ type: ReleaseSignatureDto }) signature!: ReleaseSignatureDto;
  @ApiPropertyOptional({ nullable: true, type: String }) createdByUserId!: string | null;
  @ApiProperty() createdAt!: Date;
  @ApiPropertyOptional({ nullable: true, type: Date }) recalledAt!: Date | null;
  @ApiPropertyOptional({ nullable: true, type: String }) recallReason!: string | null;
}

export class ReleasePageDto {
  @ApiProperty({ type: [ReleaseDto] }) items!: ReleaseDto[];
  @ApiProperty({ nullable: true, type: String }) nextCursor!: string | null;
}

export class ReleaseListQueryDto extends PageQueryDto {}

export class RecallResultDto extends ReleaseDto {
  @ApiProperty({ description: 'rollouts of this release that were stopped' })
  stoppedRollouts!: number;
  @ApiProperty({ description: 'deployments canceled before they switched slots' })
  canceledDeployments!: number;
}

export class DownloadQueryDto {
  @ApiPropertyOptional({
    description: 'the token of the `ota` instruction (or send it as a bearer token)',
  })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  token?: string;
}
