import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { AllowRoles, AnyRole, Audited, CurrentScope } from '../auth/access.decorators.js';
import type { Scope } from '../auth/principal.js';
import {
  SiteCreateDto,
  SiteDto,
  SiteListQueryDto,
  SitePageDto,
  SiteUpdateDto,
} from './sites.dto.js';
import { SitesService } from './sites.service.js';

@ApiTags('sites')
@ApiBearerAuth()
@Controller('api/v1/sites')
export class SitesController {
  constructor(private readonly sites: SitesService) {}

  @Get()
  @AnyRole()
  list(@CurrentScope() scope: Scope, @Query() query: SiteListQueryDto): Promise<SitePageDto> {
    return this.sites.list(scope, query);
  }

  @Post()
  @AllowRoles('admin')
  @Audited('site.create', 'site')
  create(@CurrentScope() scope: Scope, @Body() body: SiteCreateDto): Promise<SiteDto> {
    return this.sites.create(scope, body);
  }

  @Get(':siteId')
  @AnyRole()
  get(@CurrentScope() scope: Scope, @Param('siteId') siteId: string): Promise<SiteDto> {
    return this.sites.get(scope, siteId);
  }

  @Patch(':siteId')
  @AllowRoles('admin')
  @Audited('site.update', 'site')
  update(
    @CurrentScope() scope: Scope,
    @Param('siteId') siteId: string,
    @Body() body: SiteUpdateDto,
  ): Promise<SiteDto> {
    return this.sites.update(scope, siteId, body);
  }

  @Delete(':siteId')
  @HttpCode(204)
  @AllowRoles('admin')
  @Audited('site.delete', 'site')
  async delete(@CurrentScope() scope: Scope, @Param('siteId') siteId: string): Promise<void> {
    await this.sites.delete(scope, siteId);
  }
}
