import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsDate, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';

const KINDS =
  /^(gateway\.presence|gateway\.enrolled|gateway\.lifecycle|device\.readings|command\.progress|rollout\.progress)(,(gateway\.presence|gateway\.enrolled|gateway\.lifecycle|device\.readings|command\.progress|rollout\.progress))*$/;

export class EventsQueryDto {
  @ApiPropertyOptional({
    example: 'gateway.presence,device.readings',
    description: 'comma-separated event kinds (default: all)',
  })
  @IsOptional()
  @Matches(KINDS, { message: 'must be a comma-separated list of event kinds' })
  kinds?: string;

  @ApiPropertyOptional({ description: 'only events of this gateway' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  gatewayId?: string;

  @ApiPropertyOptional({ description: 'only events of this device' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  deviceId?: string;

  @ApiPropertyOptional({
    description: 'bearer token, for EventSource clients that cannot send headers',
  })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  access_token?: string;
}

export class TelemetryQueryDto {
  @ApiPropertyOptional({ example: 'active_power_l1' }) @IsString() @MaxLength(128) point!: string;
  @ApiPropertyOptional({ type: Date, description: 'default: 24 hours ago' })
  @IsOptional()
  @Type(() => Date)
  @IsDate()
  from?: Date;
  @ApiPropertyOptional({ type: Date, description: 'default: now' })
  @IsOptional()
  @Type(() => Date)
  @IsDate()
  to?: Date;
  @ApiPropertyOptional({ default: 1000, maximum: 10000 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(10_000)
  limit?: number;
}
