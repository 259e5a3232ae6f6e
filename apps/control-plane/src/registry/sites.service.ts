import { Injectable } from '@nestjs/common';
import { ConflictError, NotFoundError } from '@fleet/common';
import type { Scope } from '../auth/principal.js';
import { decodeCursor, DEFAULT_PAGE_SIZE, pageOf, type Page } from '../http/pagination.js';
import type { SiteCreateDto, SiteDto, SiteListQueryDto, SiteUpdateDto } from './sites.dto.js';
import { SitesRepository, type SiteRow } from './sites.repository.js';

@Injectable()
export class SitesService {
  constructor(private readonly sites: SitesRepository) {}

  async create(scope: Scope, input: SiteCreateDto): Promise<SiteDto> {
    const created = await this.sites.insertIfAbsent({
      tenantId: scope.tenantId,
      id: input.id,
      name: input.name,
      timeZone: input.timeZone,
      latitude: input.location?.latitude ?? null,
      longitude: input.location?.longitude ?? null,
      address: input.address ?? null,
      requiresApproval: input.requiresApproval ?? false,
      tags: input.tags ?? [],
    });
    if (!created) throw new ConflictError('SITE_EXISTS', `site ${input.id} already exists`);
    return toSiteDto(created);
  }

  async get(scope: Scope, id: string): Promise<SiteDto> {
    return toSiteDto(await this.require(scope, id));
  }

  async require(scope: Scope, id: string): Promise<SiteRow> {
    const site = await this.sites.find(scope, id);
    if (!site) throw new NotFoundError('SITE_NOT_FOUND', `site ${id} not found`);
    return site;
  }

  async list(scope: Scope, query: SiteListQueryDto): Promise<Page<SiteDto>> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const rows = await this.sites.list(
      scope,
      { tag: query.tag },
      decodeCursor(query.cursor),
      limit + 1,
    );
    const page = pageOf(rows, limit, (s) => s.id);
    return { items: page.items.map(toSiteDto), nextCursor: page.nextCursor };
  }

  async update(scope: Scope, id: string, input: SiteUpdateDto): Promise<SiteDto> {
    const updated = await this.sites.update(scope, id, {
      name: input.name,
      timeZone: input.timeZone,
      latitude: input.location?.latitude,
      longitude: input.location?.longitude,
      address: input.address,
      requiresApproval: input.requiresApproval,
      tags: input.tags,
    });
    if (!updated) throw new NotFoundError('SITE_NOT_FOUND', `site ${id} not found`);
    return toSiteDto(updated);
  }

  async delete(scope: Scope, id: string): Promise<void> {
    await this.require(scope, id);
    const gateways = await this.sites.countGateways(scope, id);
    if (gateways > 0) {
      throw new ConflictError(
        'SITE_NOT_EMPTY',
        `site ${id} still has ${gateways} gateway(s); move or remove them first`,
      );
    }
    await this.sites.delete(scope, id);
  }
}

function toSiteDto(row: SiteRow): SiteDto {
  return {
    id: row.id,
    name: row.name,
    timeZone: row.timeZone,
    location:
      row.latitude !== null && row.longitude !== null
        ? { latitude: row.latitude, longitude: row.longitude }
        : null,
    address: row.address,
    requiresApproval: row.requiresApproval,
    tags: row.tags,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}
