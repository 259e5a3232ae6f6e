import { Injectable, Logger } from '@nestjs/common';
import {
  ConflictError,
  InvalidInputError,
  NotFoundError,
  uuidv7,
  type FieldProblem,
} from '@fleet/common';
import { DEVICE_SELECTOR_KEYS, parseSelector, SelectorSyntaxError } from '@fleet/contracts';
import type { Principal, Scope } from '../auth/principal.js';
import { decodeCursor, DEFAULT_PAGE_SIZE, pageOf, type Page } from '../http/pagination.js';
import { ProfileCatalogService } from '../registry/profile-catalog.service.js';
import { CommandDispatchService } from './command-dispatch.service.js';
import { CommandExecutionsRepository } from './command-executions.repository.js';
import { countsFrom, emptyCounts, unfinishedOf } from './command-states.js';
import { checkCommandForTargets, LISTED_DEVICES } from './command-target-check.js';
import { CommandTargetsRepository, type TargetDeviceRow } from './command-targets.repository.js';
import { DEFAULT_PRIORITY, DEFAULT_TTL_SECONDS } from './command-timing.js';
import type {
  CommandCreateDto,
  CommandDetailDto,
  CommandDto,
  CommandListQueryDto,
  CommandTargetDto,
  ExecutionDto,
  ExecutionQueryDto,
} from './commands.dto.js';
import { CommandsRepository, type CommandRow, type ExecutionRow } from './commands.repository.js';

export interface CreateContext {
  principal: Principal;
  requestId: string;
}

/** JSON with sorted keys: equal requests give equal text whatever their key order. */
function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function isUniqueViolation(error: unknown): boolean {
  const e = error as { code?: unknown; cause?: { code?: unknown } } | null;
  return e?.code === '23505' || e?.cause?.code === '23505';
}

function listed(ids: readonly string[]): string {
  const shown = ids.slice(0, LISTED_DEVICES).join(', ');
  return ids.length > LISTED_DEVICES ? `${shown} and ${ids.length - LISTED_DEVICES} more` : shown;
}

/**
 * Operator commands: checked against every target device's profile before anything is written,
 * then recorded with one execution per device in one transaction (outbox) and handed to the
 * dispatcher. Reads report counts by state straight from Postgres.
 */
@Injectable()
export class CommandsService {
  private readonly logger = new Logger(CommandsService.name);

  constructor(
    private readonly commands: CommandsRepository,
    private readonly targets: CommandTargetsRepository,
    private readonly executions: CommandExecutionsRepository,
    private readonly profiles: ProfileCatalogService,
    private readonly dispatcher: CommandDispatchService,
  ) {}

  /** Creates a command, or returns the one created earlier with the same idempotency key. */
  async create(
    scope: Scope,
    context: CreateContext,
    input: CommandCreateDto,
  ): Promise<{ command: CommandDetailDto; created: boolean }> {
    const target = normalizeTarget(input.target);
    const params = input.params ?? {};
    if (input.idempotencyKey !== undefined) {
      const existing = await this.commands.findByIdempotencyKey(
        scope.tenantId,
        input.idempotencyKey,
      );
      if (existing) return { command: await this.replay(existing, input, target), created: false };
    }
    const devices = await this.resolve(scope, target);
    const failure = checkCommandForTargets(
      devices,
      (id) => this.profiles.list().find((p) => p.id === id),
      input.command,
      params,
    );
    if (failure) throw new InvalidInputError(failure.code, failure.problems);

    const now = new Date();
    const ttlSeconds = input.ttlSeconds ?? DEFAULT_TTL_SECONDS;
    const row = {
      id: uuidv7(),
      tenantId: scope.tenantId,
      createdByUserId: context.principal.userId,
      createdByName: context.principal.username,
      createdAt: now,
      command: input.command,
      params,
      target,
      priority: input.priority ?? DEFAULT_PRIORITY,
      expiresAt: new Date(now.getTime() + ttlSeconds * 1000),
      idempotencyKey: input.idempotencyKey ?? null,
      state: 'active',
      deviceCount: devices.length,
      requestId: context.requestId,
    };
    let created: CommandRow;
    try {
      created = await this.commands.create(
        row,
        devices.map((d) => ({ id: uuidv7(), gatewayId: d.gatewayId, deviceId: d.id })),
      );
    } catch (error) {
      if (input.idempotencyKey === undefined || !isUniqueViolation(error)) throw error;
      // Another request with the same key won the race: answer with its command.
      const existing = await this.commands.findByIdempotencyKey(
        scope.tenantId,
        input.idempotencyKey,
      );
      if (!existing) throw error;
      return { command: await this.replay(existing, input, target), created: false };
    }
    const gatewayIds = [...new Set(devices.map((d) => d.gatewayId))];
    await this.dispatcher.start(created, gatewayIds);
    this.logger.log(
      {
        commandId: created.id,
        command: created.command,
        devices: devices.length,
        gateways: gatewayIds.length,
        requestId: context.requestId,
      },
      'command accepted',
    );
    const counts = emptyCounts();
    counts.queued = devices.length;
    return {
      command: toCommandDetail(created, counts, { items: [], nextCursor: null }),
      created: true,
    };
  }

  async get(scope: Scope, id: string, query: ExecutionQueryDto): Promise<CommandDetailDto> {
    const command = await this.require(scope, id);
    const counts = countsFrom(await this.executions.counts([id]));
    return toCommandDetail(command, counts, await this.resultsOf(command, query));
  }

  async results(scope: Scope, id: string, query: ExecutionQueryDto): Promise<Page<ExecutionDto>> {
    return this.resultsOf(await this.require(scope, id), query);
  }

  async list(scope: Scope, query: CommandListQueryDto): Promise<Page<CommandDto>> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const rows = await this.commands.list(
      scope.tenantId,
      { state: query.state, command: query.command },
      decodeCursor(query.cursor),
      limit + 1,
    );
    const page = pageOf(rows, limit, (c) => c.id);
    const counts = await this.executions.counts(page.items.map((c) => c.id));
    return {
      items: page.items.map((c) =>
        toCommandDto(c, countsFrom(counts.filter((r) => r.commandId === c.id))),
      ),
      nextCursor: page.nextCursor,
    };
  }

  /**
   * Cancels what has not run: queued and sent executions become `canceled`, and gateways holding
   * sent or delivered ones are told to drop them. Canceling a canceled command changes nothing.
   */
  async cancel(scope: Scope, id: string): Promise<CommandDetailDto> {
    const command = await this.require(scope, id);
    if (command.state === 'completed')
      throw new ConflictError('COMMAND_FINISHED', `command ${id} has already finished`);
    const outcome = await this.commands.cancel(scope.tenantId, id);
    if (outcome) {
      const reached = [
        ...outcome.canceled.filter((e) => e.previous === 'sent'),
        ...outcome.delivered,
      ];
      await this.dispatcher.dropOnGateways(command, reached);
      await this.dispatcher.finish([id]);
      this.logger.log(
        { commandId: id, canceled: outcome.canceled.length, toDrop: reached.length },
        'command canceled',
      );
    }
    return this.get(scope, id, {});
  }

  private async require(scope: Scope, id: string): Promise<CommandRow> {
    const command = await this.commands.find(scope.tenantId, id);
    if (!command) throw new NotFoundError('COMMAND_NOT_FOUND', `command ${id} not found`);
    return command;
  }

  private async resultsOf(
    command: CommandRow,
    query: ExecutionQueryDto,
  ): Promise<Page<ExecutionDto>> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const rows = await this.commands.executions(
      command.id,
      query.state,
      decodeCursor(query.cursor),
      limit + 1,
    );
    const page = pageOf(rows, limit, (e) => e.id);
    return { items: page.items.map(toExecutionDto), nextCursor: page.nextCursor };
  }

  /** The earlier command of an idempotency key, if this request asks for the same thing. */
  private async replay(
    existing: CommandRow,
    input: CommandCreateDto,
    target: CommandTargetDto,
  ): Promise<CommandDetailDto> {
    const same =
      existing.command === input.command &&
      stableJson(existing.params) === stableJson(input.params ?? {}) &&
      stableJson(existing.target) === stableJson(target);
    if (!same) {
      throw new ConflictError(
        'IDEMPOTENCY_KEY_REUSED',
        `idempotency key "${input.idempotencyKey ?? ''}" was used for a different command (${existing.id})`,
        { commandId: existing.id },
      );
    }
    const counts = countsFrom(await this.executions.counts([existing.id]));
    return toCommandDetail(existing, counts, await this.resultsOf(existing, {}));
  }

  private async resolve(scope: Scope, target: CommandTargetDto): Promise<TargetDeviceRow[]> {
    if (target.deviceIds) {
      const found = await this.targets.byIds(scope, target.deviceIds);
      const known = new Set(found.map((d) => d.id));
      const missing = target.deviceIds.filter((id) => !known.has(id));
      const problems: FieldProblem[] = [];
      if (missing.length > 0)
        problems.push({
          field: 'target.deviceIds',
          reason: `${missing.length} unknown device ids: ${listed(missing)}`,
        });
      const unreachable = found.filter((d) => ['revoked', 'rejected'].includes(d.gatewayLifecycle));
      if (unreachable.length > 0)
        problems.push({
          field: 'target.deviceIds',
          reason: `${unreachable.length} devices are behind revoked or rejected gateways: ${listed(unreachable.map((d) => d.id))}`,
        });
      if (problems.length > 0) throw new InvalidInputError('TARGET_INVALID', problems);
      return found;
    }
    let selector;
    try {
      selector = parseSelector(target.selector ?? '', DEVICE_SELECTOR_KEYS);
    } catch (error) {
      if (!(error instanceof SelectorSyntaxError)) throw error;
      throw new InvalidInputError('TARGET_INVALID', [
        { field: 'target.selector', reason: `${error.reason} (at ${error.position})` },
      ]);
    }
    const devices = await this.targets.bySelector(scope, selector);
    if (devices.length === 0)
      throw new InvalidInputError('TARGET_EMPTY', [
        { field: 'target.selector', reason: `"${target.selector ?? ''}" matches no devices` },
      ]);
    return devices;
  }
}

function normalizeTarget(target: CommandTargetDto): CommandTargetDto {
  const hasIds = target.deviceIds !== undefined;
  const hasSelector = target.selector !== undefined;
  if (hasIds === hasSelector) {
    throw new InvalidInputError('VALIDATION_FAILED', [
      { field: 'target', reason: 'give exactly one of deviceIds and selector' },
    ]);
  }
  if (hasIds) return { deviceIds: [...new Set(target.deviceIds!.map((id) => id.toLowerCase()))] };
  const selector = target.selector!.trim();
  if (selector === '')
    throw new InvalidInputError('VALIDATION_FAILED', [
      { field: 'target.selector', reason: 'must not be empty (it would match every device)' },
    ]);
  return { selector };
}

function toCommandDto(row: CommandRow, counts: ReturnType<typeof countsFrom>): CommandDto {
  return {
    id: row.id,
    command: row.command,
    params: row.params as Record<string, unknown>,
    target: row.target as CommandTargetDto,
    priority: row.priority,
    state: row.state,
    done: unfinishedOf(counts) === 0,
    total: row.deviceCount,
    counts,
    createdBy: { userId: row.createdByUserId, name: row.createdByName },
    createdAt: row.createdAt,
    expiresAt: row.expiresAt,
    finishedAt: row.finishedAt,
    idempotencyKey: row.idempotencyKey,
  };
}

function toCommandDetail(
  row: CommandRow,
  counts: ReturnType<typeof countsFrom>,
  results: Page<ExecutionDto>,
): CommandDetailDto {
  const detail = toCommandDto(row, counts) as CommandDetailDto;
  detail.results = results;
  return detail;
}

function toExecutionDto(row: ExecutionRow): ExecutionDto {
  return {
    id: row.id,
    deviceId: row.deviceId,
    deviceName: row.deviceName,
    gatewayId: row.gatewayId,
    state: row.state,
    attempts: row.attempts,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    sentAt: row.sentAt,
    deliveredAt: row.deliveredAt,
    finishedAt: row.finishedAt,
    result: row.result,
    error: row.errorCode === null ? null : { code: row.errorCode, message: row.errorMessage ?? '' },
  };
}
