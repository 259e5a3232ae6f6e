// class-transformer's @Type reads design metadata through the Reflect API.
import 'reflect-metadata';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  Equals,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsString,
  Length,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { ENTITY_ID_PATTERN, Optional } from './contract-validators.js';
import { IsTimestamp, VersionedMessageDto, type Plain } from './message-parts.js';

export const CONNECTION_KINDS = ['modbus-rtu', 'modbus-tcp', 'serial', 'gpio'] as const;
export type ConnectionKind = (typeof CONNECTION_KINDS)[number];
export const SERIAL_PARITIES = ['none', 'even', 'odd'] as const;
export type SerialParity = (typeof SERIAL_PARITIES)[number];

/** An absolute device path (prefer /dev/serial/by-id/..., which survives USB renumbering). */
const DEVICE_PATH_PATTERN = /^\/[^\0]{0,255}$/;
/** Host name, IPv4 or IPv6 literal. */
const HOST_PATTERN = /^[A-Za-z0-9[\]][A-Za-z0-9.:[\]-]{0,252}$/;
export const MAX_PROFILE_SOURCE_LENGTH = 512 * 1024;

/** Only here so an unknown `kind` gets a clear "kind must be one of" error. */
export class DeviceConnectionBaseDto {
  @IsIn(CONNECTION_KINDS)
  kind!: ConnectionKind;
}

abstract class SerialLineSettingsDto {
  @Matches(DEVICE_PATH_PATTERN, { message: '$property must be an absolute device path' })
  path!: string;

  @IsInt()
  @Min(300)
  @Max(4_000_000)
  baudRate!: number;

  @IsIn(SERIAL_PARITIES)
  parity!: SerialParity;

  @Optional()
  @IsIn([7, 8])
  dataBits?: 7 | 8;

  @Optional()
  @IsIn([1, 2])
  stopBits?: 1 | 2;
}

export class ModbusRtuConnectionDto extends SerialLineSettingsDto {
  @Equals('modbus-rtu')
  kind!: 'modbus-rtu';

  /** 1–247 unicast; 0 is broadcast (writes only, no reply). */
  @IsInt()
  @Min(0)
  @Max(247)
  unitId!: number;
}

export class ModbusTcpConnectionDto {
  @Equals('modbus-tcp')
  kind!: 'modbus-tcp';

  @Matches(HOST_PATTERN, { message: '$property must be a host name or IP address' })
  host!: string;

  @IsInt()
  @Min(1)
  @Max(65_535)
  port!: number;

  @IsInt()
  @Min(0)
  @Max(255)
  unitId!: number;
}

/** A raw serial protocol device such as a Pelco-D camera. */
export class SerialConnectionDto extends SerialLineSettingsDto {
  @Equals('serial')
  kind!: 'serial';

  @IsInt()
  @Min(0)
  @Max(255)
  address!: number;
}

export class GpioConnectionDto {
  @Equals('gpio')
  kind!: 'gpio';

  /** Chip label to look lines up on; lines are named in the profile (e.g. GPIO17). */
  @Optional()
  @IsString()
  @Length(1, 64)
  chip?: string;
}

export type DeviceConnectionDto =
  ModbusRtuConnectionDto | ModbusTcpConnectionDto | SerialConnectionDto | GpioConnectionDto;

export class DeviceConfigDto {
  @Matches(ENTITY_ID_PATTERN)
  id!: string;

  @IsString()
  @Length(1, 200)
  name!: string;

  @Matches(ENTITY_ID_PATTERN)
  profileId!: string;

  @ValidateNested()
  @Type(() => DeviceConnectionBaseDto, {
    discriminator: {
      property: 'kind',
      subTypes: [
        { value: ModbusRtuConnectionDto, name: 'modbus-rtu' },
        { value: ModbusTcpConnectionDto, name: 'modbus-tcp' },
        { value: SerialConnectionDto, name: 'serial' },
        { value: GpioConnectionDto, name: 'gpio' },
      ],
    },
    keepDiscriminatorProperty: true,
  })
  connection!: DeviceConnectionDto;

  @IsArray()
  @ArrayMaxSize(64)
  @IsString({ each: true })
  @Length(1, 128, { each: true })
  tags!: string[];

  /** A disabled device stays configured but is not polled or commanded. */
  @Optional()
  @IsBoolean()
  enabled?: boolean;
}

/** A device profile as its YAML text; the agent parses and validates it with @fleet/profiles. */
export class ProfileSourceDto {
  @Matches(ENTITY_ID_PATTERN)
  id!: string;

  @IsString()
  @Length(1, 64)
  version!: string;

  @IsString()
  @MaxLength(MAX_PROFILE_SOURCE_LENGTH)
  source!: string;
}

/**
 * `config` (downlink, retained): the whole desired configuration of one gateway. `version` grows
 * with every change; the agent applies a version once and answers on `config/ack`.
 */
export class GatewayConfigMessageDto extends VersionedMessageDto {
  @Equals('config')
  type!: 'config';

  @IsInt()
  @Min(1)
  version!: number;

  @IsTimestamp()
  issuedAt!: number;

  @IsArray()
  @ArrayMaxSize(2_000)
  @ValidateNested({ each: true })
  @Type(() => DeviceConfigDto)
  devices!: DeviceConfigDto[];

  @IsArray()
  @ArrayMaxSize(200)
  @ValidateNested({ each: true })
  @Type(() => ProfileSourceDto)
  profiles!: ProfileSourceDto[];
}

export type ModbusRtuConnection = Plain<ModbusRtuConnectionDto>;
export type ModbusTcpConnection = Plain<ModbusTcpConnectionDto>;
export type SerialConnection = Plain<SerialConnectionDto>;
export type GpioConnection = Plain<GpioConnectionDto>;
export type DeviceConfig = Plain<DeviceConfigDto>;
export type ProfileSource = Plain<ProfileSourceDto>;
export type GatewayConfigMessage = Plain<GatewayConfigMessageDto>;
export type DeviceConnection = Plain<DeviceConnectionDto>;
