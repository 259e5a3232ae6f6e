import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsDate, IsIn, IsOptional, IsString, MaxLength } from 'class-validator';
import { PageQueryDto } from '../http/pagination.js';

export class AuditListQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'username of the actor' })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  actor?: string;
  @ApiPropertyOptional({ example: 'gateway.update' })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  action?: string;
  @ApiPropertyOptional({ enum: ['success', 'denied', 'failure'] })
  @IsOptional()
  @IsIn(['success', 'denied', 'failure'])
  outcome?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(128) targetId?: string;
  @ApiPropertyOptional({ type: Date }) @IsOptional() @Type(() => Date) @IsDate() from?: Date;
  @ApiPropertyOptional({ type: Date }) @IsOptional() @Type(() => Date) @IsDate() to?: Date;
  @ApiPropertyOptional({ description: 'text search in the action name' })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  q?: string;
}

export class AuditEntryDto {
  @ApiProperty() id!: number;
  @ApiProperty() at!: Date;
  @ApiPropertyOptional({ nullable: true, type: String }) actorName!: string | null;
  @ApiPropertyOptional({ nullable: true, type: String }) actorUserId!: string | null;
  @ApiProperty() action!: string;
  @ApiPropertyOptional({ nullable: true, type: String }) targetType!: string | null;
  @ApiPropertyOptional({ nullable: true, type: String }) targetId!: string | null;
  @ApiProperty() method!: string;
  @ApiProperty() path!: string;
  @ApiProperty() statusCode!: number;
  @ApiProperty({ enum: ['success', 'denied', 'failure'] }) outcome!: string;
  @ApiProperty() requestId!: string;
}

export class AuditPageDto {
  @ApiProperty({ type: [AuditEntryDto] }) items!: AuditEntryDto[];
  @ApiProperty({ nullable: true, type: String }) nextCursor!: string | null;
}
