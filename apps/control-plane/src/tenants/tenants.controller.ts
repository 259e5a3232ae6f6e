import { Body, Controller, Get, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { Audited, PlatformOnly } from '../auth/access.decorators.js';
import { DEFAULT_PAGE_SIZE } from '../http/pagination.js';
import {
  TenantCreateDto,
  TenantDto,
  TenantListQueryDto,
  TenantPageDto,
  TenantUpdateDto,
} from './tenants.dto.js';
import { TenantsService } from './tenants.service.js';

@ApiTags('tenants')
@ApiBearerAuth()
@Controller('api/v1/tenants')
export class TenantsController {
  constructor(private readonly tenants: TenantsService) {}

  @Get()
  @PlatformOnly()
  list(@Query() query: TenantListQueryDto): Promise<TenantPageDto> {
    return this.tenants.list(query.cursor, query.limit ?? DEFAULT_PAGE_SIZE);
  }

  @Post()
  @PlatformOnly()
  @Audited('tenant.create', 'tenant')
  create(@Body() body: TenantCreateDto): Promise<TenantDto> {
    return this.tenants.create(body);
  }

  @Get(':tenantId')
  @PlatformOnly()
  get(@Param('tenantId') id: string): Promise<TenantDto> {
    return this.tenants.get(id);
  }

  @Patch(':tenantId')
  @PlatformOnly()
  @Audited('tenant.update', 'tenant')
  update(@Param('tenantId') id: string, @Body() body: TenantUpdateDto): Promise<TenantDto> {
    return this.tenants.update(id, body);
  }
}
