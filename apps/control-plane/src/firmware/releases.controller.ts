import { Body, Controller, Get, HttpCode, Param, Post, Put, Query, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiConsumes, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { Readable } from 'node:stream';
import { AllowRoles, AnyRole, Audited, CurrentScope } from '../auth/access.decorators.js';
import type { Scope } from '../auth/principal.js';
import type { Page } from '../http/pagination.js';
import { uuidParam } from '../http/uuid-param.js';
import {
  RecallResultDto,
  ReleaseDto,
  ReleaseListQueryDto,
  ReleaseRecallDto,
  ReleaseUploadDto,
  UploadTicketDto,
} from './releases.dto.js';
import { ReleasesService } from './releases.service.js';
import { RolloutControlService } from './rollout-control.service.js';

@ApiTags('firmware')
@ApiBearerAuth()
@Controller('api/v1/firmware/releases')
export class ReleasesController {
  constructor(
    private readonly releases: ReleasesService,
    private readonly control: RolloutControlService,
  ) {}

  /** Step 1 of an upload: the signed manifest envelope; answers where to PUT the bytes. */
  @Post()
  @AllowRoles('admin', 'release-manager')
  @Audited('firmware.release.begin', 'firmware-release')
  begin(
    @CurrentScope() scope: Scope,
    @Req() req: FastifyRequest,
    @Body() body: ReleaseUploadDto,
  ): Promise<UploadTicketDto> {
    return this.releases.begin(scope, req.fleet.principal, {
      manifest: body.manifest,
      signature: body.signature,
    });
  }

  /** Step 2: the artifact bytes (application/octet-stream), streamed and verified. */
  @Put(':id/artifact')
  @HttpCode(201)
  @ApiConsumes('application/octet-stream')
  @AllowRoles('admin', 'release-manager')
  @Audited('firmware.release.upload', 'firmware-release')
  upload(
    @CurrentScope() scope: Scope,
    @Param('id', uuidParam('id')) id: string,
    @Req() req: FastifyRequest,
  ): Promise<ReleaseDto> {
    const length = req.headers['content-length'];
    return this.releases.receive(scope, id, {
      contentType: req.headers['content-type'],
      contentLength: length === undefined ? undefined : Number(length),
      stream: req.body instanceof Readable ? req.body : undefined,
    });
  }

  @Get()
  @AnyRole()
  list(
    @CurrentScope() scope: Scope,
    @Query() query: ReleaseListQueryDto,
  ): Promise<Page<ReleaseDto>> {
    return this.releases.list(scope, query);
  }

  @Get(':id')
  @AnyRole()
  get(@CurrentScope() scope: Scope, @Param('id', uuidParam('id')) id: string): Promise<ReleaseDto> {
    return this.releases.get(scope, id);
  }

  /** Stops every rollout of the release, cancels its pending deployments, refuses its downloads. */
  @Post(':id/recall')
  @HttpCode(200)
  @AllowRoles('admin', 'release-manager')
  @Audited('firmware.release.recall', 'firmware-release')
  recall(
    @CurrentScope() scope: Scope,
    @Param('id', uuidParam('id')) id: string,
    @Body() body: ReleaseRecallDto,
  ): Promise<RecallResultDto> {
    return this.control.recall(scope, id, body.reason);
  }
}
