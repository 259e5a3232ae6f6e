import { Injectable } from '@nestjs/common';
import { ConflictError, NotFoundError, uuidv7 } from '@fleet/common';
import {
  GATEWAY_SELECTOR_KEYS,
  mergeSelector,
  parseSelector,
  type GatewaySelectorKey,
  type Selector,
} from '@fleet/contracts';
import type { Scope } from '../auth/principal.js';
import { decodeCursor, DEFAULT_PAGE_SIZE, pageOf, type Page } from '../http/pagination.js';
import type {
  GatewayCreateDto,
  GatewayDto,
  GatewayListQueryDto,
  GatewayUpdateDto,
} from './gateways.dto.js';
import {
  GatewaysRepository,
  type GatewayRow,
  type GatewayWithCounts,
} from './gateways.repository.js';
import { SitesService } from './sites.service.js';

@Injectable()
export class GatewaysService {
  constructor(
    private readonly gateways: GatewaysRepository,
    private readonly sites: SitesService,
  ) {}

  async create(scope: Scope, input: GatewayCreateDto): Promise<GatewayDto> {
    await this.sites.require(scope, input.siteId);
    const created = await this.gateways.insertIfAbsent({
      id: uuidv7(),
      tenantId: scope.tenantId,
      siteId: input.siteId,
      serialNumber: input.serialNumber,
      name: input.name ?? input.serialNumber,
      model: input.model,
      hardwareRevision: input.hardwareRevision,
      tags: input.tags ?? [],
      lifecycle: 'active',
    });
    if (!created) {
      throw new ConflictError(
        'GATEWAY_EXISTS',
        `a gateway with serial number ${input.serialNumber} already exists`,
      );
    }
    return toGatewayDto({ ...created, deviceCount: 0 });
  }

  async get(scope: Scope, id: string): Promise<GatewayDto> {
    return toGatewayDto(await this.require(scope, id));
  }

  async require(scope: Scope, id: string): Promise<GatewayWithCounts> {
    const gateway = await this.gateways.find(scope, id);
    if (!gateway) throw new NotFoundError('GATEWAY_NOT_FOUND', `gateway ${id} not found`);
    return gateway;
  }

  /** Parses `?selector=` and the single-key filters into one selector (a 400 names the problem). */
  selectorOf(
    query: Pick<GatewayListQueryDto, 'selector' | 'site' | 'tag' | 'status' | 'model'>,
  ): Selector<GatewaySelectorKey> {
    return mergeSelector(
      parseSelector(query.selector ?? '', GATEWAY_SELECTOR_KEYS),
      { site: query.site, tag: query.tag, status: query.status, model: query.model },
      GATEWAY_SELECTOR_KEYS,
    );
  }

  async list(scope: Scope, query: GatewayListQueryDto): Promise<Page<GatewayDto>> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const rows = await this.gateways.list(
      scope,
      this.selectorOf(query),
      decodeCursor(query.cursor),
      limit + 1,
    );
    const page = pageOf(rows, limit, (g) => g.id);
    return { items: page.items.map(toGatewayDto), nextCursor: page.nextCursor };
  }

  async update(scope: Scope, id: string, input: GatewayUpdateDto): Promise<GatewayDto> {
    const current = await this.require(scope, id);
    if (input.siteId !== undefined && input.siteId !== current.siteId)
      await this.sites.require(scope, input.siteId);
    const updated = await this.gateways.update(scope, id, {
      name: input.name,
      siteId: input.siteId,
      model: input.model,
      hardwareRevision: input.hardwareRevision,
      tags: input.tags,
    });
    if (!updated) throw new NotFoundError('GATEWAY_NOT_FOUND', `gateway ${id} not found`);
    return toGatewayDto({ ...updated, deviceCount: current.deviceCount });
  }

  async delete(scope: Scope, id: string): Promise<void> {
    if (!(await this.gateways.delete(scope, id))) {
      throw new NotFoundError('GATEWAY_NOT_FOUND', `gateway ${id} not found`);
    }
  }
}

export function gatewayStatus(row: Pick<GatewayRow, 'lifecycle' | 'connectivity'>): string {
  return row.lifecycle === 'active' ? row.connectivity : row.lifecycle;
}

function toGatewayDto(row: GatewayWithCounts): GatewayDto {
  return {
    id: row.id,
    serialNumber: row.serialNumber,
    name: row.name,
    siteId: row.siteId,
    model: row.model,
    hardwareRevision: row.hardwareRevision,
    agentVersion: row.agentVersion,
    firmwareVersion: row.firmwareVersion,
    tags: row.tags,
    status: gatewayStatus(row),
    lifecycle: row.lifecycle,
    connectivity: row.connectivity,
    lastSeenAt: row.lastSeenAt,
    connectivityChangedAt: row.connectivityChangedAt,
    deviceCount: row.deviceCount,
    configVersion: row.configVersion,
    configAppliedVersion: row.configAppliedVersion,
    configError: row.configError,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}
