import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { PageQueryDto } from '../http/pagination.js';
import { TAG } from './sites.dto.js';

export const CONNECTION_KINDS = ['modbus-rtu', 'modbus-tcp', 'serial', 'gpio'] as const;
export type ConnectionKind = (typeof CONNECTION_KINDS)[number];
export const PROFILE_ID = /^[a-z0-9][a-z0-9-]{0,63}$/;
const BUS = /^\/dev\/[A-Za-z0-9._:/+-]{1,200}$/;
const HOST = /^[A-Za-z0-9.-]{1,253}$|^\[?[0-9a-fA-F:]{2,39}\]?$/;

const isSerial = (c: ConnectionDto): boolean => c.kind === 'modbus-rtu' || c.kind === 'serial';

/** How the gateway reaches the device: a serial bus and unit id, or host:port and unit id. */
export class ConnectionDto {
  @ApiProperty({ enum: CONNECTION_KINDS }) @IsIn(CONNECTION_KINDS) kind!: ConnectionKind;

  @ApiPropertyOptional({
    example: '/dev/serial/by-id/usb-FTDI_FT232R_USB_UART_A10K5Q9B-if00-port0',
  })
  @ValidateIf(isSerial)
  @Matches(BUS, { message: 'must be a device path under /dev (prefer /dev/serial/by-id/...)' })
  bus?: string;

  @ApiPropertyOptional({ example: 9600 })
  @ValidateIf((c: ConnectionDto) => isSerial(c) && c.baudRate !== undefined)
  @IsIn([1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200], {
    message: 'must be a standard baud rate (1200-115200)',
  })
  baudRate?: number;

  @ApiPropertyOptional({ enum: ['none', 'even', 'odd'] })
  @ValidateIf((c: ConnectionDto) => isSerial(c) && c.parity !== undefined)
  @IsIn(['none', 'even', 'odd'])
  parity?: 'none' | 'even' | 'odd';

  @ApiPropertyOptional({ example: '10.20.0.15' })
  @ValidateIf((c: ConnectionDto) => c.kind === 'modbus-tcp')
  @Matches(HOST, { message: 'must be a host name or IP address' })
  host?: string;

  @ApiPropertyOptional({ example: 502 })
  @ValidateIf((c: ConnectionDto) => c.kind === 'modbus-tcp' && c.port !== undefined)
  @IsInt()
  @Min(1)
  @Max(65535)
  port?: number;

  @ApiPropertyOptional({ description: 'Modbus unit id: 1-247 on RTU, 0-255 on TCP' })
  @ValidateIf((c: ConnectionDto) => c.kind === 'modbus-rtu' || c.kind === 'modbus-tcp')
  @IsInt()
  @Min(0)
  @Max(255)
  unitId?: number;

  @ApiPropertyOptional({ description: 'serial protocol address (Pelco-D camera address 1-255)' })
  @ValidateIf((c: ConnectionDto) => c.kind === 'serial')
  @IsInt()
  @Min(1)
  @Max(255)
  address?: number;
}

export class DeviceCreateDto {
  @ApiProperty({ example: 'Streetlight 12' })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  name!: string;

  @ApiProperty({ example: 'streetlight-controller' })
  @Matches(PROFILE_ID, { message: 'must be a device profile id' })
  profileId!: string;

  @ApiProperty({ type: ConnectionDto })
  @ValidateNested()
  @Type(() => ConnectionDto)
  connection!: ConnectionDto;

  @ApiPropertyOptional({ type: [String] })
  @IsOptional()
  @ArrayMaxSize(32)
  @Matches(TAG, {
    each: true,
    message: 'each tag must be 1-64 characters of A-Z a-z 0-9 . _ : / @ + -',
  })
  tags?: string[];
}

export class DeviceUpdateDto {
  @ApiPropertyOptional() @IsOptional() @IsString() @MinLength(1) @MaxLength(200) name?: string;
  @ApiPropertyOptional()
  @IsOptional()
  @Matches(PROFILE_ID, { message: 'must be a device profile id' })
  profileId?: string;
  @ApiPropertyOptional({ type: ConnectionDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => ConnectionDto)
  connection?: ConnectionDto;
  @ApiPropertyOptional({ type: [String] })
  @IsOptional()
  @ArrayMaxSize(32)
  @Matches(TAG, {
    each: true,
    message: 'each tag must be 1-64 characters of A-Z a-z 0-9 . _ : / @ + -',
  })
  tags?: string[];
}

export class DeviceListQueryDto extends PageQueryDto {
  @ApiPropertyOptional({
    description: 'e.g. site=hcm-d3,tag=streetlight,profile=streetlight-controller',
  })
  @IsOptional()
  @IsString()
  @MaxLength(2048)
  selector?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(512) site?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(512) tag?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(512) profile?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(512) gateway?: string;
}

export class DeviceDto {
  @ApiProperty() id!: string;
  @ApiProperty() gatewayId!: string;
  @ApiProperty() siteId!: string;
  @ApiProperty() name!: string;
  @ApiProperty() profileId!: string;
  @ApiProperty({ type: ConnectionDto }) connection!: ConnectionDto;
  @ApiProperty({ type: [String] }) tags!: string[];
  @ApiProperty() createdAt!: Date;
  @ApiProperty() updatedAt!: Date;
}

export class DevicePageDto {
  @ApiProperty({ type: [DeviceDto] }) items!: DeviceDto[];
  @ApiProperty({ nullable: true, type: String }) nextCursor!: string | null;
}
