import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  IsIn,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  MinLength,
} from 'class-validator';
import { PageQueryDto } from '../http/pagination.js';
import { GATEWAY_STATUSES } from './selector.sql.js';
import { SLUG, TAG } from './sites.dto.js';

export const SERIAL = /^[A-Za-z0-9._:-]{1,64}$/;
export const MODEL = /^[A-Za-z0-9._+-]{1,64}$/;
export const VERSION = /^[0-9A-Za-z.+-]{1,64}$/;
const TAG_MESSAGE = 'each tag must be 1-64 characters of A-Z a-z 0-9 . _ : / @ + -';

export class GatewayCreateDto {
  @ApiProperty({ example: 'RPI4-00012345' })
  @Matches(SERIAL, { message: 'must be 1-64 characters of A-Z a-z 0-9 . _ : -' })
  serialNumber!: string;

  @ApiProperty({ example: 'dn-haichau' })
  @Matches(SLUG, { message: 'must be a site id (slug)' })
  siteId!: string;

  @ApiProperty({ example: 'rpi4' })
  @Matches(MODEL, { message: 'must be 1-64 characters of A-Z a-z 0-9 . _ + -' })
  model!: string;

  @ApiProperty({ example: '1.4' })
  @Matches(VERSION, { message: 'must be 1-64 characters of A-Z a-z 0-9 . + -' })
  hardwareRevision!: string;

  @ApiPropertyOptional({ example: 'Cabinet 12, Bach Dang' })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  name?: string;

  @ApiPropertyOptional({ type: [String] })
  @IsOptional()
  @ArrayMaxSize(32)
  @Matches(TAG, { each: true, message: TAG_MESSAGE })
  tags?: string[];
}

export class GatewayUpdateDto {
  @ApiPropertyOptional() @IsOptional() @IsString() @MinLength(1) @MaxLength(200) name?: string;
  @ApiPropertyOptional()
  @IsOptional()
  @Matches(SLUG, { message: 'must be a site id (slug)' })
  siteId?: string;
  @ApiPropertyOptional() @IsOptional() @Matches(MODEL) model?: string;
  @ApiPropertyOptional() @IsOptional() @Matches(VERSION) hardwareRevision?: string;
  @ApiPropertyOptional({ type: [String] })
  @IsOptional()
  @ArrayMaxSize(32)
  @Matches(TAG, { each: true, message: TAG_MESSAGE })
  tags?: string[];
}

export class GatewayListQueryDto extends PageQueryDto {
  @ApiPropertyOptional({
    description: 'e.g. site=hcm-d3,tag=streetlight,model=rpi4',
    example: 'site=dn-haichau,status=online',
  })
  @IsOptional()
  @IsString()
  @MaxLength(2048)
  selector?: string;

  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(512) site?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(512) tag?: string;
  @ApiPropertyOptional({ enum: GATEWAY_STATUSES })
  @IsOptional()
  @IsIn(GATEWAY_STATUSES)
  status?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(512) model?: string;
}

export class GatewayDto {
  @ApiProperty() id!: string;
  @ApiProperty() serialNumber!: string;
  @ApiProperty() name!: string;
  @ApiProperty() siteId!: string;
  @ApiProperty() model!: string;
  @ApiProperty() hardwareRevision!: string;
  @ApiPropertyOptional({ nullable: true, type: String }) agentVersion!: string | null;
  @ApiPropertyOptional({ nullable: true, type: String }) firmwareVersion!: string | null;
  @ApiProperty({ type: [String] }) tags!: string[];
  @ApiProperty({ enum: GATEWAY_STATUSES, description: 'lifecycle, or presence when active' })
  status!: string;
  @ApiProperty({ enum: ['pending', 'active', 'rejected', 'revoked'] }) lifecycle!: string;
  @ApiProperty({ enum: ['online', 'offline'] }) connectivity!: string;
  @ApiPropertyOptional({ nullable: true, type: Date }) lastSeenAt!: Date | null;
  @ApiPropertyOptional({ nullable: true, type: Date }) connectivityChangedAt!: Date | null;
  @ApiProperty() deviceCount!: number;
  @ApiProperty({ description: 'configuration version the gateway should run' })
  configVersion!: number;
  @ApiPropertyOptional({
    nullable: true,
    type: Number,
    description: 'version the agent last applied',
  })
  configAppliedVersion!: number | null;
  @ApiPropertyOptional({
    nullable: true,
    type: String,
    description: 'why the agent rejected the last configuration',
  })
  configError!: string | null;
  @ApiProperty() createdAt!: Date;
  @ApiProperty() updatedAt!: Date;
}

export class GatewayPageDto {
  @ApiProperty({ type: [GatewayDto] }) items!: GatewayDto[];
  @ApiProperty({ nullable: true, type: String }) nextCursor!: string | null;
}
