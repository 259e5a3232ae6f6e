import { ApiProperty, ApiPropertyOptional, PartialType, OmitType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsBoolean,
  IsLatitude,
  IsLongitude,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  MinLength,
  Validate,
  ValidateNested,
  ValidatorConstraint,
  type ValidatorConstraintInterface,
} from 'class-validator';
import { PageQueryDto } from '../http/pagination.js';

export const SLUG = /^[a-z0-9][a-z0-9-]{0,62}$/;
export const TAG = /^[A-Za-z0-9._:/@+-]{1,64}$/;

@ValidatorConstraint({ name: 'timeZone' })
export class IsTimeZone implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    if (typeof value !== 'string' || value.length > 64) return false;
    try {
      new Intl.DateTimeFormat('en', { timeZone: value });
      return true;
    } catch {
      return false;
    }
  }
  defaultMessage(): string {
    return 'must be an IANA time zone such as Asia/Ho_Chi_Minh';
  }
}

export class LocationDto {
  @ApiProperty({ example: 16.0678 })
  @IsLatitude({ message: 'must be a latitude (-90..90)' })
  latitude!: number;
  @ApiProperty({ example: 108.2208 })
  @IsLongitude({ message: 'must be a longitude (-180..180)' })
  longitude!: number;
}

export class SiteCreateDto {
  @ApiProperty({ example: 'dn-haichau', description: 'slug: lowercase letters, digits, dashes' })
  @Matches(SLUG, {
    message: 'must be a slug: lowercase letters, digits and dashes, at most 63 characters',
  })
  id!: string;

  @ApiProperty({ example: 'Da Nang - Hai Chau' })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  name!: string;

  @ApiProperty({ example: 'Asia/Ho_Chi_Minh' }) @Validate(IsTimeZone) timeZone!: string;

  @ApiPropertyOptional({ type: LocationDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => LocationDto)
  location?: LocationDto;

  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(500) address?: string;

  @ApiPropertyOptional({
    description: 'new gateways wait for a technician or admin to accept them',
  })
  @IsOptional()
  @IsBoolean()
  requiresApproval?: boolean;

  @ApiPropertyOptional({ type: [String] })
  @IsOptional()
  @ArrayMaxSize(32)
  @Matches(TAG, {
    each: true,
    message: 'each tag must be 1-64 characters of A-Z a-z 0-9 . _ : / @ + -',
  })
  tags?: string[];
}

export class SiteUpdateDto extends PartialType(OmitType(SiteCreateDto, ['id'] as const)) {}

export class SiteListQueryDto extends PageQueryDto {
  @ApiPropertyOptional() @IsOptional() @Matches(TAG) tag?: string;
}

export class SiteDto {
  @ApiProperty() id!: string;
  @ApiProperty() name!: string;
  @ApiProperty() timeZone!: string;
  @ApiPropertyOptional({ type: LocationDto, nullable: true }) location!: LocationDto | null;
  @ApiPropertyOptional({ nullable: true, type: String }) address!: string | null;
  @ApiProperty() requiresApproval!: boolean;
  @ApiProperty({ type: [String] }) tags!: string[];
  @ApiProperty() createdAt!: Date;
  @ApiProperty() updatedAt!: Date;
}

export class SitePageDto {
  @ApiProperty({ type: [SiteDto] }) items!: SiteDto[];
  @ApiProperty({ nullable: true, type: String }) nextCursor!: string | null;
}
