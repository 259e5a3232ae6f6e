import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsInt,
  IsOptional,
  IsString,
  IsUUID,
  Max,
  MaxLength,
  Min,
  MinLength,
} from 'class-validator';
import { PageQueryDto } from '../http/pagination.js';

export class LoginDto {
  @ApiProperty() @IsString() @MinLength(1) @MaxLength(128) username!: string;
  @ApiProperty() @IsString() @MinLength(1) @MaxLength(1024) password!: string;
}

export class TokenCreateDto {
  @ApiProperty({ example: 'ci pipeline' }) @IsString() @MinLength(1) @MaxLength(100) name!: string;

  @ApiPropertyOptional({
    description: 'lifetime in seconds; omit for a token that does not expire',
    example: 86400,
  })
  @IsOptional()
  @IsInt()
  @Min(60)
  @Max(10 * 365 * 24 * 3600)
  expiresInSeconds?: number;

  @ApiPropertyOptional({
    description: 'admins may create a token for another user of their tenant',
  })
  @IsOptional()
  @IsUUID()
  userId?: string;
}

export class TokenListQueryDto extends PageQueryDto {
  @ApiPropertyOptional() @IsOptional() @IsUUID() userId?: string;
}

export class IssuedTokenDto {
  @ApiProperty() id!: string;
  @ApiProperty({ description: 'shown once; only its hash is stored' }) token!: string;
  @ApiProperty() name!: string;
  @ApiPropertyOptional({ nullable: true, type: Date }) expiresAt!: Date | null;
}

export class TokenDto {
  @ApiProperty() id!: string;
  @ApiProperty() name!: string;
  @ApiProperty() createdAt!: Date;
  @ApiPropertyOptional({ nullable: true, type: Date }) expiresAt!: Date | null;
  @ApiPropertyOptional({ nullable: true, type: Date }) revokedAt!: Date | null;
  @ApiPropertyOptional({ nullable: true, type: Date }) lastUsedAt!: Date | null;
}

export class TokenPageDto {
  @ApiProperty({ type: [TokenDto] }) items!: TokenDto[];
  @ApiProperty({ nullable: true, type: String }) nextCursor!: string | null;
}

export class PrincipalDto {
  @ApiProperty() userId!: string;
  @ApiProperty() username!: string;
  @ApiProperty() role!: string;
  @ApiProperty() platformAdmin!: boolean;
  @ApiPropertyOptional({ nullable: true, type: String }) tenantId!: string | null;
  @ApiPropertyOptional({ nullable: true, type: [String] }) siteIds!: readonly string[] | null;
}

export class LoginResultDto extends IssuedTokenDto {
  @ApiProperty({ type: PrincipalDto }) user!: PrincipalDto;
}

export const USERNAME = /^[a-z0-9][a-z0-9._@-]{1,63}$/;
