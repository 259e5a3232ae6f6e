import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { AllowRoles, AnyRole, Audited, CurrentScope } from '../auth/access.decorators.js';
import type { Scope } from '../auth/principal.js';
import { uuidParam } from '../http/uuid-param.js';
import {
  DeviceCreateDto,
  DeviceDto,
  DeviceListQueryDto,
  DevicePageDto,
  DeviceUpdateDto,
} from './devices.dto.js';
import { DevicesService } from './devices.service.js';

@ApiTags('devices')
@ApiBearerAuth()
@Controller('api/v1')
export class DevicesController {
  constructor(private readonly devices: DevicesService) {}

  @Get('gateways/:id/devices')
  @AnyRole()
  listForGateway(
    @CurrentScope() scope: Scope,
    @Param('id', uuidParam('id')) gatewayId: string,
    @Query() query: DeviceListQueryDto,
  ): Promise<DevicePageDto> {
    return this.devices.list(scope, query, gatewayId);
  }

  @Post('gateways/:id/devices')
  @AllowRoles('admin', 'technician')
  @Audited('device.create', 'device')
  create(
    @CurrentScope() scope: Scope,
    @Param('id', uuidParam('id')) gatewayId: string,
    @Body() body: DeviceCreateDto,
  ): Promise<DeviceDto> {
    return this.devices.create(scope, gatewayId, body);
  }

  @Get('devices')
  @AnyRole()
  list(@CurrentScope() scope: Scope, @Query() query: DeviceListQueryDto): Promise<DevicePageDto> {
    return this.devices.list(scope, query);
  }

  @Get('devices/:id')
  @AnyRole()
  get(@CurrentScope() scope: Scope, @Param('id', uuidParam('id')) id: string): Promise<DeviceDto> {
    return this.devices.get(scope, id);
  }

  @Patch('devices/:id')
  @AllowRoles('admin', 'technician')
  @Audited('device.update', 'device')
  update(
    @CurrentScope() scope: Scope,
    @Param('id', uuidParam('id')) id: string,
    @Body() body: DeviceUpdateDto,
  ): Promise<DeviceDto> {
    return this.devices.update(scope, id, body);
  }

  @Delete('devices/:id')
  @HttpCode(204)
  @AllowRoles('admin', 'technician')
  @Audited('device.delete', 'device')
  async delete(
    @CurrentScope() scope: Scope,
    @Param('id', uuidParam('id')) id: string,
  ): Promise<void> {
    await this.devices.delete(scope, id);
  }
}
