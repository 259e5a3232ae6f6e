import { Body, Controller, Get, HttpCode, Param, Post, Query, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { AllowRoles, AnyRole, Audited, CurrentScope } from '../auth/access.decorators.js';
import type { Scope } from '../auth/principal.js';
import type { Page } from '../http/pagination.js';
import { uuidParam } from '../http/uuid-param.js';
import { RolloutControlService } from './rollout-control.service.js';
import {
  DeploymentListQueryDto,
  DeploymentPageDto,
  RolloutActionDto,
  RolloutCreateDto,
  RolloutDto,
  RolloutListQueryDto,
  RolloutPreviewDto,
} from './rollouts.dto.js';
import { RolloutsService } from './rollouts.service.js';

@ApiTags('rollouts')
@ApiBearerAuth()
@Controller('api/v1/rollouts')
export class RolloutsController {
  constructor(
    private readonly rollouts: RolloutsService,
    private readonly control: RolloutControlService,
  ) {}

  /** The waves and exclusions a rollout would have, with the same checks as creating it. */
  @Post('preview')
  @HttpCode(200)
  @AllowRoles('admin', 'release-manager')
  preview(
    @CurrentScope() scope: Scope,
    @Body() body: RolloutCreateDto,
  ): Promise<RolloutPreviewDto> {
    return this.rollouts.preview(scope, body);
  }

  @Post()
  @AllowRoles('admin', 'release-manager')
  @Audited('rollout.create', 'rollout')
  create(
    @CurrentScope() scope: Scope,
    @Req() req: FastifyRequest,
    @Body() body: RolloutCreateDto,
  ): Promise<RolloutDto> {
    return this.rollouts.create(scope, req.fleet.principal, body);
  }

  @Get()
  @AnyRole()
  list(
    @CurrentScope() scope: Scope,
    @Query() query: RolloutListQueryDto,
  ): Promise<Page<RolloutDto>> {
    return this.rollouts.list(scope, query);
  }

  @Get(':id')
  @AnyRole()
  get(@CurrentScope() scope: Scope, @Param('id', uuidParam('id')) id: string): Promise<RolloutDto> {
    return this.rollouts.get(scope, id);
  }

  @Get(':id/deployments')
  @AnyRole()
  deployments(
    @CurrentScope() scope: Scope,
    @Param('id', uuidParam('id')) id: string,
    @Query() query: DeploymentListQueryDto,
  ): Promise<DeploymentPageDto> {
    return this.rollouts.deployments(scope, id, query);
  }

  @Post(':id/pause')
  @HttpCode(200)
  @AllowRoles('admin', 'release-manager')
  @Audited('rollout.pause', 'rollout')
  pause(
    @CurrentScope() scope: Scope,
    @Param('id', uuidParam('id')) id: string,
    @Body() body: RolloutActionDto,
  ): Promise<RolloutDto> {
    return this.control.pause(scope, id, body.reason);
  }

  @Post(':id/resume')
  @HttpCode(200)
  @AllowRoles('admin', 'release-manager')
  @Audited('rollout.resume', 'rollout')
  resume(
    @CurrentScope() scope: Scope,
    @Param('id', uuidParam('id')) id: string,
    @Body() _body: RolloutActionDto,
  ): Promise<RolloutDto> {
    return this.control.resume(scope, id);
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @AllowRoles('admin', 'release-manager')
  @Audited('rollout.cancel', 'rollout')
  cancel(
    @CurrentScope() scope: Scope,
    @Param('id', uuidParam('id')) id: string,
    @Body() body: RolloutActionDto,
  ): Promise<RolloutDto> {
    return this.control.cancel(scope, id, body.reason);
  }
}
