import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { AllowRoles, CurrentScope, PlatformOnly } from '../auth/access.decorators.js';
import type { Scope } from '../auth/principal.js';
import { DEFAULT_PAGE_SIZE } from '../http/pagination.js';
import { AuditListQueryDto, AuditPageDto } from './audit.dto.js';
import { AuditService } from './audit.service.js';

@ApiTags('audit')
@ApiBearerAuth()
@Controller('api/v1')
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  /** The tenant's audit log, newest first. */
  @Get('audit')
  @AllowRoles('admin')
  list(@CurrentScope() scope: Scope, @Query() query: AuditListQueryDto): Promise<AuditPageDto> {
    const { cursor, limit, ...filter } = query;
    return this.audit.list(scope, filter, cursor, limit ?? DEFAULT_PAGE_SIZE);
  }

  /** Platform-level entries (tenants, bootstrap), newest first. */
  @Get('platform/audit')
  @PlatformOnly()
  listPlatform(@Query() query: AuditListQueryDto): Promise<AuditPageDto> {
    const { cursor, limit, ...filter } = query;
    return this.audit.list(null, filter, cursor, limit ?? DEFAULT_PAGE_SIZE);
  }
}
