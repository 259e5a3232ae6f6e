import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateNested,
} from 'class-validator';
import { PageQueryDto } from '../http/pagination.js';
import { COMMAND_STATES, EXECUTION_STATES, type StateCounts } from './command-states.js';
import { MAX_PRIORITY, MAX_TTL_SECONDS, MIN_TTL_SECONDS } from './command-timing.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const COMMAND_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const IDEMPOTENCY_KEY = /^[A-Za-z0-9._:-]{1,128}$/;
/** Larger groups are addressed with a selector (a request body stays well under the body limit). */
export const MAX_DEVICE_IDS = 10_000;

/** Exactly one of `deviceIds` and `selector`. */
export class CommandTargetDto {
  @ApiPropertyOptional({ type: [String], maxItems: MAX_DEVICE_IDS })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_DEVICE_IDS)
  @Matches(UUID, { each: true, message: 'each device id must be a UUID' })
  deviceIds?: string[];

  @ApiPropertyOptional({
    example: 'site=hcm-d3,tag=streetlight',
    description: 'device selector: site, tag, profile, gateway, model, status, id',
  })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(2048)
  selector?: string;
}

export class CommandCreateDto {
  @ApiProperty({ type: CommandTargetDto })
  @IsObject()
  @ValidateNested()
  @Type(() => CommandTargetDto)
  target!: CommandTargetDto;

  @ApiProperty({ example: 'setDim', description: 'a command of the target devices’ profile' })
  @Matches(COMMAND_NAME, { message: 'must be a command name from the device profile' })
  command!: string;

  @ApiPropertyOptional({
    example: { level: 40 },
    description: 'parameters by name; validated against each target profile',
    type: 'object',
    additionalProperties: true,
  })
  @IsOptional()
  @IsObject()
  params?: Record<string, unknown>;

  @ApiPropertyOptional({ minimum: MIN_TTL_SECONDS, maximum: MAX_TTL_SECONDS, default: 600 })
  @IsOptional()
  @IsInt()
  @Min(MIN_TTL_SECONDS)
  @Max(MAX_TTL_SECONDS)
  ttlSeconds?: number;

  @ApiPropertyOptional({
    minimum: 0,
    maximum: MAX_PRIORITY,
    default: 50,
    description: 'higher runs first',
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_PRIORITY)
  priority?: number;

  @ApiPropertyOptional({ description: 'the same key returns the command created with it (200)' })
  @IsOptional()
  @Matches(IDEMPOTENCY_KEY, { message: 'must be 1-128 characters of A-Z a-z 0-9 . _ : -' })
  idempotencyKey?: string;
}

export class CommandListQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: COMMAND_STATES })
  @IsOptional()
  @IsIn(COMMAND_STATES)
  state?: string;

  @ApiPropertyOptional({ example: 'setDim' })
  @IsOptional()
  @Matches(COMMAND_NAME)
  command?: string;
}

export class ExecutionQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: EXECUTION_STATES, description: 'only executions in this state' })
  @IsOptional()
  @IsIn(EXECUTION_STATES)
  state?: string;
}

export class ExecutionErrorDto {
  @ApiProperty({ example: 'MODBUS_ILLEGAL_ADDRESS' }) code!: string;
  @ApiProperty() message!: string;
}

export class ExecutionDto {
  @ApiProperty() id!: string;
  @ApiProperty() deviceId!: string;
  @ApiPropertyOptional({ nullable: true, type: String }) deviceName!: string | null;
  @ApiProperty() gatewayId!: string;
  @ApiProperty({ enum: EXECUTION_STATES }) state!: string;
  @ApiProperty({ description: 'times sent to the gateway' }) attempts!: number;
  @ApiProperty() createdAt!: Date;
  @ApiProperty() updatedAt!: Date;
  @ApiPropertyOptional({ nullable: true, type: Date }) sentAt!: Date | null;
  @ApiPropertyOptional({ nullable: true, type: Date }) deliveredAt!: Date | null;
  @ApiPropertyOptional({ nullable: true, type: Date }) finishedAt!: Date | null;
  @ApiPropertyOptional({
    nullable: true,
    description: 'the device’s answer: values read, write-verify outcome, agent timing',
    type: 'object',
    additionalProperties: true,
  })
  result!: unknown;
  @ApiPropertyOptional({ nullable: true, type: ExecutionErrorDto })
  error!: ExecutionErrorDto | null;
}

export class ExecutionPageDto {
  @ApiProperty({ type: [ExecutionDto] }) items!: ExecutionDto[];
  @ApiProperty({ nullable: true, type: String }) nextCursor!: string | null;
}

export class CommandCreatorDto {
  @ApiPropertyOptional({ nullable: true, type: String }) userId!: string | null;
  @ApiPropertyOptional({ nullable: true, type: String }) name!: string | null;
}

export class CommandDto {
  @ApiProperty() id!: string;
  @ApiProperty({ example: 'setDim' }) command!: string;
  @ApiProperty({ type: 'object', additionalProperties: true }) params!: Record<string, unknown>;
  @ApiProperty({ type: CommandTargetDto }) target!: CommandTargetDto;
  @ApiProperty() priority!: number;
  @ApiProperty({ enum: COMMAND_STATES }) state!: string;
  @ApiProperty({ description: 'every execution is final' }) done!: boolean;
  @ApiProperty({ description: 'devices the target resolved to' }) total!: number;
  @ApiProperty({
    description: 'executions by state (from the database)',
    type: 'object',
    additionalProperties: { type: 'integer' },
  })
  counts!: StateCounts;
  @ApiProperty({ type: CommandCreatorDto }) createdBy!: CommandCreatorDto;
  @ApiProperty() createdAt!: Date;
  @ApiProperty() expiresAt!: Date;
  @ApiPropertyOptional({ nullable: true, type: Date }) finishedAt!: Date | null;
  @ApiPropertyOptional({ nullable: true, type: String }) idempotencyKey!: string | null;
}

export class CommandDetailDto extends CommandDto {
  @ApiProperty({ type: ExecutionPageDto, description: 'per-device results, paged' })
  results!: ExecutionPageDto;
}

export class CommandPageDto {
  @ApiProperty({ type: [CommandDto] }) items!: CommandDto[];
  @ApiProperty({ nullable: true, type: String }) nextCursor!: string | null;
}
