import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsNumber,
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
import { DEPLOYMENT_STATES, ROLLOUT_STATES } from './rollout-policy.js';

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const WEEK_SECONDS = 7 * 24 * 3600;

export class FailureThresholdDto {
  @ApiPropertyOptional({ description: 'stop once this many deployments failed', example: 3 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  count?: number;

  @ApiPropertyOptional({
    description: 'stop once this share of finished deployments failed',
    example: 10,
  })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0.1)
  @Max(100)
  percent?: number;

  @ApiPropertyOptional({
    description: 'judge only once at least this many deployments finished',
    default: 1,
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  minSample?: number;

  @ApiPropertyOptional({ enum: ['pause', 'abort'], default: 'pause' })
  @IsOptional()
  @IsIn(['pause', 'abort'])
  action?: 'pause' | 'abort';
}

export class MaintenanceWindowDto {
  @ApiProperty({
    description: 'when windows open: 5 cron fields, or 6 with seconds first',
    example: '0 8 * * 1-5',
  })
  @IsString()
  @MaxLength(200)
  cron!: string;

  @ApiProperty({ example: 240 })
  @IsInt()
  @Min(1)
  @Max(WEEK_SECONDS / 60)
  durationMinutes!: number;

  @ApiProperty({ example: 'Asia/Ho_Chi_Minh' })
  @IsString()
  @MaxLength(64)
  timeZone!: string;
}

export class PhaseTimeoutsDto {
  @ApiPropertyOptional({ description: 'seconds', default: 3600 })
  @IsOptional()
  @IsInt()
  @Min(5)
  @Max(WEEK_SECONDS)
  downloading?: number;

  @ApiPropertyOptional({ description: 'seconds', default: 900 })
  @IsOptional()
  @IsInt()
  @Min(5)
  @Max(WEEK_SECONDS)
  installing?: number;

  @ApiPropertyOptional({ description: 'seconds', default: 600 })
  @IsOptional()
  @IsInt()
  @Min(5)
  @Max(WEEK_SECONDS)
  rebooting?: number;

  @ApiPropertyOptional({ description: 'seconds', default: 600 })
  @IsOptional()
  @IsInt()
  @Min(5)
  @Max(WEEK_SECONDS)
  verifying?: number;
}

export class RolloutCreateDto {
  @ApiProperty() @Matches(UUID, { message: 'must be a UUID' }) releaseId!: string;

  @ApiPropertyOptional({ example: 'agent 1.4.0 to district 3' })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  name?: string;

  @ApiProperty({
    description:
      'gateways to update (site, tag, model, hardware, firmware...); empty = every gateway',
    example: 'site=hcm-d3,model=rpi4',
  })
  @IsString()
  @MaxLength(2048)
  selector!: string;

  @ApiProperty({
    description: 'cumulative waves: percentages, counts or "all"; the last must be 100% or all',
    example: ['1%', '10%', '50%', '100%'],
    type: [String],
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(20)
  @IsString({ each: true })
  @MaxLength(16, { each: true })
  waves!: string[];

  @ApiPropertyOptional({
    description: 'share of a wave that must succeed before the next starts',
    default: 95,
  })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(100)
  successThresholdPercent?: number;

  @ApiPropertyOptional({ type: FailureThresholdDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => FailureThresholdDto)
  failureThreshold?: FailureThresholdDto;

  @ApiPropertyOptional({ description: 'installs running at once', default: 100 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  maxConcurrent?: number;

  @ApiPropertyOptional({ description: 'gateways that may begin per minute', default: 600 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  startRatePerMinute?: number;

  @ApiPropertyOptional({ type: MaintenanceWindowDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => MaintenanceWindowDto)
  maintenanceWindow?: MaintenanceWindowDto;

  @ApiPropertyOptional({ type: PhaseTimeoutsDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => PhaseTimeoutsDto)
  phaseTimeouts?: PhaseTimeoutsDto;

  @ApiPropertyOptional({ description: 'also update gateways that match the selector later' })
  @IsOptional()
  @IsBoolean()
  includeLateJoiners?: boolean;

  @ApiPropertyOptional({ description: 'allow installing an older version than a gateway runs' })
  @IsOptional()
  @IsBoolean()
  allowDowngrade?: boolean;
}

export class ExcludedGatewayDto {
  @ApiProperty() gatewayId!: string;
  @ApiProperty() name!: string;
  @ApiProperty({
    description:
      'WRONG_MODEL, WRONG_HARDWARE, BELOW_MIN_VERSION, DOWNGRADE, ALREADY_RUNNING, UNKNOWN_VERSION, IN_OTHER_ROLLOUT',
  })
  code!: string;
  @ApiProperty() reason!: string;
}

export class ExcludedSummaryDto {
  @ApiProperty() total!: number;
  @ApiProperty({ type: Object, description: 'count per reason code' })
  byReason!: Record<string, number>;
  @ApiProperty({ type: [ExcludedGatewayDto], description: 'the first few, for a look' })
  sample!: ExcludedGatewayDto[];
}

export class WavePreviewDto {
  @ApiProperty({ description: '1-based' }) index!: number;
  @ApiProperty({ example: '10%' }) spec!: string;
  @ApiProperty() size!: number;
}

export class RolloutPreviewDto {
  @ApiProperty() releaseId!: string;
  @ApiProperty() version!: string;
  @ApiProperty({ description: 'gateways the selector matches' }) matched!: number;
  @ApiProperty({ description: 'gateways that will be updated' }) eligible!: number;
  @ApiProperty({ type: [WavePreviewDto] }) waves!: WavePreviewDto[];
  @ApiProperty({ type: ExcludedSummaryDto }) excluded!: ExcludedSummaryDto;
}

export class RolloutWaveDto {
  @ApiProperty({ description: '1-based' }) index!: number;
  @ApiProperty({ example: '10%' }) spec!: string;
  @ApiProperty() size!: number;
  @ApiProperty({ enum: ['pending', 'active', 'done'] }) state!: string;
  @ApiProperty({ type: Object, description: 'deployments per state' })
  counts!: Record<string, number>;
}

export class RolloutDto {
  @ApiProperty() id!: string;
  @ApiProperty() name!: string;
  @ApiProperty() releaseId!: string;
  @ApiProperty() version!: string;
  @ApiProperty({ enum: ROLLOUT_STATES }) state!: string;
  @ApiPropertyOptional({ nullable: true, type: String }) stateReason!: string | null;
  @ApiProperty() selector!: string;
  @ApiProperty({ description: '1-based' }) currentWave!: number;
  @ApiProperty({ type: [RolloutWaveDto] }) waves!: RolloutWaveDto[];
  @ApiProperty({ type: Object, description: 'deployments per state, all waves' })
  counts!: Record<string, number>;
  @ApiProperty() total!: number;
  @ApiProperty() successThresholdPercent!: number;
  @ApiProperty({ type: FailureThresholdDto }) failureThreshold!: FailureThresholdDto;
  @ApiProperty() maxConcurrent!: number;
  @ApiProperty() startRatePerMinute!: number;
  @ApiPropertyOptional({ type: MaintenanceWindowDto, nullable: true })
  maintenanceWindow!: MaintenanceWindowDto | null;
  @ApiProperty({ type: PhaseTimeoutsDto }) phaseTimeouts!: PhaseTimeoutsDto;
  @ApiProperty() includeLateJoiners!: boolean;
  @ApiProperty() allowDowngrade!: boolean;
  @ApiPropertyOptional({ type: ExcludedSummaryDto, nullable: true })
  excluded!: ExcludedSummaryDto | null;
  @ApiPropertyOptional({ nullable: true, type: String }) createdByUserId!: string | null;
  @ApiProperty() createdAt!: Date;
  @ApiProperty() updatedAt!: Date;
  @ApiPropertyOptional({ nullable: true, type: Date }) finishedAt!: Date | null;
}

export class RolloutPageDto {
  @ApiProperty({ type: [RolloutDto] }) items!: RolloutDto[];
  @ApiProperty({ nullable: true, type: String }) nextCursor!: string | null;
}

export class RolloutListQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: ROLLOUT_STATES })
  @IsOptional()
  @IsIn(ROLLOUT_STATES)
  state?: string;
}

export class DeploymentListQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: DEPLOYMENT_STATES })
  @IsOptional()
  @IsIn(DEPLOYMENT_STATES)
  state?: string;

  @ApiPropertyOptional({ description: '1-based wave' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(20)
  wave?: number;
}

export class DeploymentDto {
  @ApiProperty() id!: string;
  @ApiProperty() gatewayId!: string;
  @ApiProperty() gatewayName!: string;
  @ApiProperty({ description: '1-based' }) wave!: number;
  @ApiProperty({ enum: DEPLOYMENT_STATES }) state!: string;
  @ApiPropertyOptional({ nullable: true, type: String }) fromVersion!: string | null;
  @ApiProperty() toVersion!: string;
  @ApiPropertyOptional({ nullable: true, type: String }) runningVersion!: string | null;
  @ApiProperty() progress!: number;
  @ApiPropertyOptional({ nullable: true, type: String, enum: ['download', 'install', 'cancel'] })
  instruction!: string | null;
  @ApiProperty() attempts!: number;
  @ApiPropertyOptional({ nullable: true, type: Date }) startedAt!: Date | null;
  @ApiPropertyOptional({ nullable: true, type: Date }) committedAt!: Date | null;
  @ApiPropertyOptional({ nullable: true, type: Date }) finishedAt!: Date | null;
  @ApiPropertyOptional({ nullable: true, type: String }) errorCode!: string | null;
  @ApiPropertyOptional({ nullable: true, type: String }) errorMessage!: string | null;
  @ApiProperty() updatedAt!: Date;
}

export class DeploymentPageDto {
  @ApiProperty({ type: [DeploymentDto] }) items!: DeploymentDto[];
  @ApiProperty({ nullable: true, type: String }) nextCursor!: string | null;
}

export class RolloutActionDto {
  @ApiPropertyOptional({ description: 'why (kept with the rollout and in the audit log)' })
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  reason?: string;
}
