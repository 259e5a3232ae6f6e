import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ROLES, type Role } from '@fleet/contracts';
import {
  ArrayMaxSize,
  IsBoolean,
  IsIn,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  MinLength,
} from 'class-validator';
import { PageQueryDto } from '../http/pagination.js';
import { SLUG } from '../registry/sites.dto.js';

export const USERNAME = /^[a-z0-9][a-z0-9._@-]{1,63}$/;

export class UserCreateDto {
  @ApiProperty({ example: 'lan.nguyen' })
  @Matches(USERNAME, { message: 'must be 2-64 characters: lowercase letters, digits, . _ @ -' })
  username!: string;

  @ApiProperty({ example: 'Nguyễn Thị Lan' })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  displayName!: string;

  @ApiProperty({ enum: ROLES }) @IsIn(ROLES) role!: Role;

  @ApiPropertyOptional({
    type: [String],
    description: 'limit the user to these sites; omit for every site',
  })
  @IsOptional()
  @ArrayMaxSize(256)
  @Matches(SLUG, { each: true, message: 'each site id must be a slug' })
  siteIds?: string[];

  @ApiPropertyOptional({ description: 'for console login; at least 10 characters' })
  @IsOptional()
  @IsString()
  @MinLength(10)
  @MaxLength(1024)
  password?: string;
}

export class UserUpdateDto {
  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  displayName?: string;
  @ApiPropertyOptional({ enum: ROLES }) @IsOptional() @IsIn(ROLES) role?: Role;
  @ApiPropertyOptional({ type: [String], nullable: true })
  @IsOptional()
  @ArrayMaxSize(256)
  @Matches(SLUG, { each: true, message: 'each site id must be a slug' })
  siteIds?: string[];
  @ApiPropertyOptional() @IsOptional() @IsBoolean() disabled?: boolean;
  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MinLength(10)
  @MaxLength(1024)
  password?: string;
}

export class UserDto {
  @ApiProperty() id!: string;
  @ApiProperty() username!: string;
  @ApiProperty() displayName!: string;
  @ApiProperty({ enum: ROLES }) role!: string;
  @ApiPropertyOptional({ nullable: true, type: String }) tenantId!: string | null;
  @ApiPropertyOptional({ nullable: true, type: [String] }) siteIds!: string[] | null;
  @ApiProperty() disabled!: boolean;
  @ApiProperty() hasPassword!: boolean;
  @ApiProperty() createdAt!: Date;
}

export class UserPageDto {
  @ApiProperty({ type: [UserDto] }) items!: UserDto[];
  @ApiProperty({ nullable: true, type: String }) nextCursor!: string | null;
}

export class UserListQueryDto extends PageQueryDto {}
