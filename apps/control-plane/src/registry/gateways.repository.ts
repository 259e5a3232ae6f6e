import { Inject, Injectable } from '@nestjs/common';
import type { GatewaySelectorKey, Selector } from '@fleet/contracts';
import { and, asc, eq, getTableColumns, gt, sql } from 'drizzle-orm';
import type { Scope } from '../auth/principal.js';
import type { Database } from '../database/database.adapter.js';
import { DATABASE } from '../database/database.tokens.js';
import { gateways } from '../database/schema.js';
import { gatewaySelectorCondition, scopeCondition } from './selector.sql.js';

export type GatewayRow = typeof gateways.$inferSelect;
export type NewGatewayRow = typeof gateways.$inferInsert;
export type GatewayWithCounts = GatewayRow & { deviceCount: number };

// Spelled out: Drizzle leaves columns unqualified in single-table selects, which would bind to devices.
const deviceCount =
  sql<number>`(select count(*)::int from devices d where d.gateway_id = "gateways"."id")`.as(
    'device_count',
  );

@Injectable()
export class GatewaysRepository {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  async insertIfAbsent(row: NewGatewayRow): Promise<GatewayRow | undefined> {
    const [created] = await this.db.insert(gateways).values(row).onConflictDoNothing().returning();
    return created;
  }

  async find(scope: Scope, id: string): Promise<GatewayWithCounts | undefined> {
    const [row] = await this.db
      .select({ ...getTableColumns(gateways), deviceCount })
      .from(gateways)
      .where(and(scopeCondition(scope), eq(gateways.id, id)));
    return row;
  }

  async list(
    scope: Scope,
    selector: Selector<GatewaySelectorKey>,
    after: string | undefined,
    limit: number,
  ): Promise<GatewayWithCounts[]> {
    return this.db
      .select({ ...getTableColumns(gateways), deviceCount })
      .from(gateways)
      .where(
        and(
          scopeCondition(scope),
          gatewaySelectorCondition(selector),
          after ? gt(gateways.id, after) : undefined,
        ),
      )
      .orderBy(asc(gateways.id))
      .limit(limit);
  }

  async update(
    scope: Scope,
    id: string,
    patch: Partial<NewGatewayRow>,
  ): Promise<GatewayRow | undefined> {
    const [row] = await this.db
      .update(gateways)
      .set({ ...patch, updatedAt: new Date() })
      .where(and(scopeCondition(scope), eq(gateways.id, id)))
      .returning();
    return row;
  }

  async delete(scope: Scope, id: string): Promise<boolean> {
    const deleted = await this.db
      .delete(gateways)
      .where(and(scopeCondition(scope), eq(gateways.id, id)))
      .returning({ id: gateways.id });
    return deleted.length > 0;
  }
}
