import { Injectable } from '@nestjs/common';
import { ConflictError, NotFoundError } from '@fleet/common';
import { decodeCursor, type Page, pageOf } from '../http/pagination.js';
import { TenantsRepository, type TenantRow } from './tenants.repository.js';

export interface TenantInput {
  id: string;
  name: string;
  locale?: string;
}

@Injectable()
export class TenantsService {
  constructor(private readonly tenants: TenantsRepository) {}

  async create(input: TenantInput): Promise<TenantRow> {
    const created = await this.tenants.insertIfAbsent({
      id: input.id,
      name: input.name,
      locale: input.locale ?? 'vi',
    });
    if (!created) throw new ConflictError('TENANT_EXISTS', `tenant ${input.id} already exists`);
    return created;
  }

  async get(id: string): Promise<TenantRow> {
    const tenant = await this.tenants.findById(id);
    if (!tenant) throw new NotFoundError('TENANT_NOT_FOUND', `tenant ${id} not found`);
    return tenant;
  }

  async exists(id: string): Promise<boolean> {
    return (await this.tenants.findById(id)) !== undefined;
  }

  async list(cursor: string | undefined, limit: number): Promise<Page<TenantRow>> {
    return pageOf(await this.tenants.list(decodeCursor(cursor), limit + 1), limit, (t) => t.id);
  }

  async update(id: string, patch: { name?: string; locale?: string }): Promise<TenantRow> {
    const updated = await this.tenants.update(id, patch);
    if (!updated) throw new NotFoundError('TENANT_NOT_FOUND', `tenant ${id} not found`);
    return updated;
  }
}
