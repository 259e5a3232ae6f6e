import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { AllowRoles, AnyRole, Audited, CurrentScope } from '../auth/access.decorators.js';
import type { Scope } from '../auth/principal.js';
import { uuidParam } from '../http/uuid-param.js';
import {
  GatewayCreateDto,
  GatewayDto,
  GatewayListQueryDto,
  GatewayPageDto,
  GatewayUpdateDto,
} from './gateways.dto.js';
import { GatewaysService } from './gateways.service.js';

@ApiTags('gateways')
@ApiBearerAuth()
@Controller('api/v1/gateways')
export class GatewaysController {
  constructor(private readonly gateways: GatewaysService) {}

  @Get()
  @AnyRole()
  list(@CurrentScope() scope: Scope, @Query() query: GatewayListQueryDto): Promise<GatewayPageDto> {
    return this.gateways.list(scope, query);
  }

  @Post()
  @AllowRoles('admin', 'technician')
  @Audited('gateway.create', 'gateway')
  create(@CurrentScope() scope: Scope, @Body() body: GatewayCreateDto): Promise<GatewayDto> {
    return this.gateways.create(scope, body);
  }

  @Get(':id')
  @AnyRole()
  get(@CurrentScope() scope: Scope, @Param('id', uuidParam('id')) id: string): Promise<GatewayDto> {
    return this.gateways.get(scope, id);
  }

  @Patch(':id')
  @AllowRoles('admin', 'operator', 'technician')
  @Audited('gateway.update', 'gateway')
  update(
    @CurrentScope() scope: Scope,
    @Param('id', uuidParam('id')) id: string,
    @Body() body: GatewayUpdateDto,
  ): Promise<GatewayDto> {
    return this.gateways.update(scope, id, body);
  }

  @Delete(':id')
  @HttpCode(204)
  @AllowRoles('admin')
  @Audited('gateway.delete', 'gateway')
  async delete(
    @CurrentScope() scope: Scope,
    @Param('id', uuidParam('id')) id: string,
  ): Promise<void> {
    await this.gateways.delete(scope, id);
  }
}
