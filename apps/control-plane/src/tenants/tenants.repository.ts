import { Inject, Injectable } from '@nestjs/common';
import { asc, eq, gt } from 'drizzle-orm';
import type { Database } from '../database/database.adapter.js';
import { DATABASE } from '../database/database.tokens.js';
import { tenants } from '../database/schema.js';

export type TenantRow = typeof tenants.$inferSelect;
export type NewTenantRow = typeof tenants.$inferInsert;

@Injectable()
export class TenantsRepository {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  async insertIfAbsent(row: NewTenantRow): Promise<TenantRow | undefined> {
    const [created] = await this.db.insert(tenants).values(row).onConflictDoNothing().returning();
    return created;
  }

  async findById(id: string): Promise<TenantRow | undefined> {
    const [row] = await this.db.select().from(tenants).where(eq(tenants.id, id));
    return row;
  }

  async list(after: string | undefined, limit: number): Promise<TenantRow[]> {
    return this.db
      .select()
      .from(tenants)
      .where(after ? gt(tenants.id, after) : undefined)
      .orderBy(asc(tenants.id))
      .limit(limit);
  }

  async update(id: string, patch: Partial<NewTenantRow>): Promise<TenantRow | undefined> {
    const [row] = await this.db.update(tenants).set(patch).where(eq(tenants.id, id)).returning();
    return row;
  }
}
