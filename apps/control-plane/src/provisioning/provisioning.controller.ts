import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiConsumes, ApiTags } from '@nestjs/swagger';
import { EnrollmentRequestDto, type EnrollmentResponseDto } from '@fleet/contracts';
import type { FastifyRequest } from 'fastify';
import {
  AllowRoles,
  Audited,
  CurrentPrincipal,
  CurrentScope,
  Public,
} from '../auth/access.decorators.js';
import type { Principal, Scope } from '../auth/principal.js';
import { RateLimited } from '../auth/rate-limit.decorator.js';
import { uuidParam } from '../http/uuid-param.js';
import type { GatewayDto } from '../registry/gateways.dto.js';
import { ClaimsService } from './claims.service.js';
import { EnrollmentService } from './enrollment.service.js';
import { GatewayLifecycleService } from './gateway-lifecycle.service.js';
import { PreauthorizationsService } from './preauthorizations.service.js';
import {
  ClaimCreateDto,
  ClaimDto,
  ClaimListDto,
  ImportResultDto,
  IssuedClaimDto,
  PreauthorizationListQueryDto,
} from './provisioning.dto.js';

function serverUrl(request: FastifyRequest): string {
  return `${request.protocol}://${request.host}`;
}

@ApiTags('provisioning')
@Controller('api/v1')
export class ProvisioningController {
  constructor(
    private readonly claims: ClaimsService,
    private readonly enrollment: EnrollmentService,
    private readonly lifecycle: GatewayLifecycleService,
    private readonly preauthorizations: PreauthorizationsService,
  ) {}

  @Post('sites/:siteId/claims')
  @ApiBearerAuth()
  @AllowRoles('admin', 'technician')
  @Audited('claim.create', 'site')
  createClaim(
    @CurrentScope() scope: Scope,
    @CurrentPrincipal() principal: Principal,
    @Param('siteId') siteId: string,
    @Body() body: ClaimCreateDto,
    @Req() request: FastifyRequest,
  ): Promise<IssuedClaimDto> {
    return this.claims.create(scope, principal, siteId, body.ttlSeconds, serverUrl(request));
  }

  @Get('sites/:siteId/claims')
  @ApiBearerAuth()
  @AllowRoles('admin', 'technician')
  async listClaims(
    @CurrentScope() scope: Scope,
    @Param('siteId') siteId: string,
  ): Promise<ClaimListDto> {
    return { items: await this.claims.list(scope, siteId) };
  }

  @Delete('claims/:id')
  @ApiBearerAuth()
  @AllowRoles('admin', 'technician')
  @Audited('claim.revoke', 'claim')
  revokeClaim(
    @CurrentScope() scope: Scope,
    @Param('id', uuidParam('id')) id: string,
  ): Promise<ClaimDto> {
    return this.claims.revoke(scope, id);
  }

  /** Called by `gateway-agent enroll` with a claim code; answers the gateway's credentials once. */
  @Post('enrollments')
  @Public()
  @RateLimited('enroll')
  @Audited('gateway.enroll', 'gateway')
  @ApiBody({
    schema: {
      type: 'object',
      required: [
        'claimCode',
        'serialNumber',
        'model',
        'hardwareRevision',
        'agentVersion',
        'firmwareVersion',
      ],
      properties: {
        claimCode: { type: 'string', example: '7KQ2-M9XD-4TZA' },
        serialNumber: { type: 'string', example: 'RPI4-00000000a1b2c3d4' },
        model: { type: 'string', example: 'rpi4' },
        hardwareRevision: { type: 'string', example: '1.4' },
        agentVersion: { type: 'string', example: '0.1.0' },
        firmwareVersion: { type: 'string', example: '0.1.0' },
      },
    },
  })
  enroll(
    @Body() body: EnrollmentRequestDto,
    @Req() request: FastifyRequest,
  ): Promise<EnrollmentResponseDto> {
    return this.enrollment.enroll(body, request.host);
  }

  @Post('gateways/:id/approve')
  @HttpCode(200)
  @ApiBearerAuth()
  @AllowRoles('admin', 'technician')
  @Audited('gateway.approve', 'gateway')
  approve(
    @CurrentScope() scope: Scope,
    @Param('id', uuidParam('id')) id: string,
  ): Promise<GatewayDto> {
    return this.lifecycle.approve(scope, id);
  }

  @Post('gateways/:id/reject')
  @HttpCode(200)
  @ApiBearerAuth()
  @AllowRoles('admin', 'technician')
  @Audited('gateway.reject', 'gateway')
  reject(
    @CurrentScope() scope: Scope,
    @Param('id', uuidParam('id')) id: string,
  ): Promise<GatewayDto> {
    return this.lifecycle.reject(scope, id);
  }

  @Post('gateways/:id/revoke')
  @HttpCode(200)
  @ApiBearerAuth()
  @AllowRoles('admin')
  @Audited('gateway.revoke', 'gateway')
  revoke(
    @CurrentScope() scope: Scope,
    @Param('id', uuidParam('id')) id: string,
  ): Promise<GatewayDto> {
    return this.lifecycle.revoke(scope, id);
  }

  /** A factory manifest (CSV: serial, model[, hardware_revision][, site]): these skip approval. */
  @Post('preauthorizations')
  @ApiBearerAuth()
  @ApiConsumes('text/csv')
  @ApiBody({
    schema: {
      type: 'string',
      example: 'serial,model,hardware_revision,site\nRPI4-0001,rpi4,1.4,dn-haichau',
    },
  })
  @AllowRoles('admin')
  @Audited('preauthorization.import', 'manifest')
  importManifest(@CurrentScope() scope: Scope, @Body() body: unknown): Promise<ImportResultDto> {
    return this.preauthorizations.importManifest(scope, typeof body === 'string' ? body : '');
  }

  @Get('preauthorizations')
  @ApiBearerAuth()
  @AllowRoles('admin', 'technician')
  listPreauthorizations(
    @CurrentScope() scope: Scope,
    @Query() query: PreauthorizationListQueryDto,
  ) {
    return this.preauthorizations.list(scope, query.cursor, query.limit);
  }

  @Delete('preauthorizations/:serial')
  @HttpCode(204)
  @ApiBearerAuth()
  @AllowRoles('admin')
  @Audited('preauthorization.delete', 'gateway')
  async removePreauthorization(
    @CurrentScope() scope: Scope,
    @Param('serial') serial: string,
  ): Promise<void> {
    await this.preauthorizations.remove(scope, serial);
  }
}
