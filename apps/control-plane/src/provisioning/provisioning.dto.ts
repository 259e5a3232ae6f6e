import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { PageQueryDto } from '../http/pagination.js';
import { MAX_CLAIM_TTL_SECONDS } from './claims.service.js';

export class ClaimCreateDto {
  @ApiPropertyOptional({
    description: 'lifetime in seconds (default CLAIM_TTL_SECONDS, 30 minutes)',
    minimum: 60,
    maximum: MAX_CLAIM_TTL_SECONDS,
  })
  @IsOptional()
  @IsInt()
  @Min(60)
  @Max(MAX_CLAIM_TTL_SECONDS)
  ttlSeconds?: number;
}

export class IssuedClaimDto {
  @ApiProperty() id!: string;
  @ApiProperty({ example: '7KQ2-M9XD-4TZA', description: 'shown once; single use' }) code!: string;
  @ApiProperty() siteId!: string;
  @ApiProperty() expiresAt!: Date;
  @ApiProperty() enrollCommand!: string;
}

export class ClaimDto {
  @ApiProperty() id!: string;
  @ApiProperty() siteId!: string;
  @ApiProperty() createdAt!: Date;
  @ApiProperty() expiresAt!: Date;
  @ApiProperty({ enum: ['unused', 'used', 'expired', 'revoked'] }) state!: string;
  @ApiPropertyOptional({ nullable: true, type: String }) gatewayId!: string | null;
}

export class ClaimListDto {
  @ApiProperty({ type: [ClaimDto] }) items!: ClaimDto[];
}

export class PreauthorizationListQueryDto extends PageQueryDto {}

export class ImportResultDto {
  @ApiProperty() imported!: number;
}
