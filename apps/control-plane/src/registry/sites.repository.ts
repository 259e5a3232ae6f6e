import { Inject, Injectable } from '@nestjs/common';
import { and, asc, count, eq, gt, inArray, sql } from 'drizzle-orm';
import type { Scope } from '../auth/principal.js';
import type { Database } from '../database/database.adapter.js';
import { DATABASE } from '../database/database.tokens.js';
import { gateways, sites } from '../database/schema.js';

export type SiteRow = typeof sites.$inferSelect;
export type NewSiteRow = typeof sites.$inferInsert;

function inScope(scope: Scope) {
  return and(
    eq(sites.tenantId, scope.tenantId),
    scope.siteIds === null
      ? undefined
      : scope.siteIds.length === 0
        ? sql`false`
        : inArray(sites.id, [...scope.siteIds]),
  );
}

@Injectable()
export class SitesRepository {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  async insertIfAbsent(row: NewSiteRow): Promise<SiteRow | undefined> {
    const [created] = await this.db.insert(sites).values(row).onConflictDoNothing().returning();
    return created;
  }

  async find(scope: Scope, id: string): Promise<SiteRow | undefined> {
    const [row] = await this.db
      .select()
      .from(sites)
      .where(and(inScope(scope), eq(sites.id, id)));
    return row;
  }

  async list(
    scope: Scope,
    filter: { tag?: string },
    after: string | undefined,
    limit: number,
  ): Promise<SiteRow[]> {
    return this.db
      .select()
      .from(sites)
      .where(
        and(
          inScope(scope),
          after ? gt(sites.id, after) : undefined,
          filter.tag ? arrayContains(filter.tag) : undefined,
        ),
      )
      .orderBy(asc(sites.id))
      .limit(limit);
  }

  async update(scope: Scope, id: string, patch: Partial<NewSiteRow>): Promise<SiteRow | undefined> {
    const [row] = await this.db
      .update(sites)
      .set({ ...patch, updatedAt: new Date() })
      .where(and(inScope(scope), eq(sites.id, id)))
      .returning();
    return row;
  }

  async countGateways(scope: Scope, id: string): Promise<number> {
    const [row] = await this.db
      .select({ n: count() })
      .from(gateways)
      .where(and(eq(gateways.tenantId, scope.tenantId), eq(gateways.siteId, id)));
    return row?.n ?? 0;
  }

  async delete(scope: Scope, id: string): Promise<boolean> {
    const deleted = await this.db
      .delete(sites)
      .where(and(inScope(scope), eq(sites.id, id)))
      .returning({ id: sites.id });
    return deleted.length > 0;
  }
}

function arrayContains(tag: string) {
  return sql`${sites.tags} @> ARRAY[${tag}]::text[]`;
}
