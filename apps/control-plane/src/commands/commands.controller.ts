import { Body, Controller, Get, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  AllowRoles,
  AnyRole,
  Audited,
  CurrentPrincipal,
  CurrentScope,
} from '../auth/access.decorators.js';
import type { Principal, Scope } from '../auth/principal.js';
import type { Page } from '../http/pagination.js';
import { uuidParam } from '../http/uuid-param.js';
import {
  CommandCreateDto,
  CommandDetailDto,
  CommandListQueryDto,
  CommandPageDto,
  ExecutionPageDto,
  ExecutionQueryDto,
  type CommandDto,
  type ExecutionDto,
} from './commands.dto.js';
import { CommandsService } from './commands.service.js';

@ApiTags('commands')
@ApiBearerAuth()
@Controller('api/v1/commands')
export class CommandsController {
  constructor(private readonly commands: CommandsService) {}

  /** Commands one device or many (201); the same idempotency key answers the earlier command (200). */
  @Post()
  @AllowRoles('operator', 'admin')
  @Audited('command.create', 'command')
  @ApiOkResponse({ type: CommandDetailDto })
  async create(
    @CurrentScope() scope: Scope,
    @CurrentPrincipal() principal: Principal,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
    @Body() body: CommandCreateDto,
  ): Promise<CommandDetailDto> {
    const { command, created } = await this.commands.create(
      scope,
      { principal, requestId: request.id },
      body,
    );
    void reply.status(created ? 201 : 200);
    return command;
  }

  @Get()
  @AnyRole()
  @ApiOkResponse({ type: CommandPageDto })
  list(
    @CurrentScope() scope: Scope,
    @Query() query: CommandListQueryDto,
  ): Promise<Page<CommandDto>> {
    return this.commands.list(scope, query);
  }

  /** The command, its counts by state and the first page of per-device results. */
  @Get(':id')
  @AnyRole()
  @ApiOkResponse({ type: CommandDetailDto })
  get(
    @CurrentScope() scope: Scope,
    @Param('id', uuidParam('id')) id: string,
    @Query() query: ExecutionQueryDto,
  ): Promise<CommandDetailDto> {
    return this.commands.get(scope, id, query);
  }

  @Get(':id/results')
  @AnyRole()
  @ApiOkResponse({ type: ExecutionPageDto })
  results(
    @CurrentScope() scope: Scope,
    @Param('id', uuidParam('id')) id: string,
    @Query() query: ExecutionQueryDto,
  ): Promise<Page<ExecutionDto>> {
    return this.commands.results(scope, id, query);
  }

  /** Cancels what has not run yet; what already runs on a device finishes and reports. */
  @Post(':id/cancel')
  @HttpCode(200)
  @AllowRoles('operator', 'admin')
  @Audited('command.cancel', 'command')
  @ApiOkResponse({ type: CommandDetailDto })
  cancel(
    @CurrentScope() scope: Scope,
    @Param('id', uuidParam('id')) id: string,
  ): Promise<CommandDetailDto> {
    return this.commands.cancel(scope, id);
  }
}
