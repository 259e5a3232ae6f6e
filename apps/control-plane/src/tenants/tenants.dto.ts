import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Matches, MaxLength, MinLength } from 'class-validator';
import { PageQueryDto } from '../http/pagination.js';
import { SLUG } from '../registry/sites.dto.js';

export const LOCALES = ['vi', 'en'] as const;

export class TenantCreateDto {
  @ApiProperty({ example: 'da-nang' }) @Matches(SLUG, { message: 'must be a slug' }) id!: string;
  @ApiProperty({ example: 'Thành phố Đà Nẵng' })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  name!: string;
  @ApiPropertyOptional({ enum: LOCALES, default: 'vi' })
  @IsOptional()
  @IsIn(LOCALES)
  locale?: string;
}

export class TenantUpdateDto {
  @ApiPropertyOptional() @IsOptional() @IsString() @MinLength(1) @MaxLength(200) name?: string;
  @ApiPropertyOptional({ enum: LOCALES }) @IsOptional() @IsIn(LOCALES) locale?: string;
}

export class TenantDto {
  @ApiProperty() id!: string;
  @ApiProperty() name!: string;
  @ApiProperty() locale!: string;
  @ApiProperty() createdAt!: Date;
}

export class TenantPageDto {
  @ApiProperty({ type: [TenantDto] }) items!: TenantDto[];
  @ApiProperty({ nullable: true, type: String }) nextCursor!: string | null;
}

export class TenantListQueryDto extends PageQueryDto {}
