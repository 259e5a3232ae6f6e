import { Inject, Injectable } from '@nestjs/common';
import { and, desc, eq, gte, ilike, isNull, lt, lte, type SQL } from 'drizzle-orm';
import type { Database } from '../database/database.adapter.js';
import { DATABASE } from '../database/database.tokens.js';
import { auditLog } from '../database/schema.js';

export type AuditRow = typeof auditLog.$inferSelect;
export type NewAuditRow = typeof auditLog.$inferInsert;

export interface AuditFilter {
  /** null = platform-level entries only. */
  tenantId: string | null;
  actor?: string;
  action?: string;
  outcome?: string;
  targetId?: string;
  from?: Date;
  to?: Date;
  /** Search text matched against action, target and path. */
  q?: string;
}

@Injectable()
export class AuditRepository {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  async insert(row: NewAuditRow): Promise<void> {
    await this.db.insert(auditLog).values(row);
  }

  /** Newest first; the cursor is the id of the last entry seen. */
  async list(filter: AuditFilter, before: number | undefined, limit: number): Promise<AuditRow[]> {
    const conditions: (SQL | undefined)[] = [
      filter.tenantId === null ? isNull(auditLog.tenantId) : eq(auditLog.tenantId, filter.tenantId),
      before !== undefined ? lt(auditLog.id, before) : undefined,
      filter.actor ? eq(auditLog.actorName, filter.actor) : undefined,
      filter.action ? eq(auditLog.action, filter.action) : undefined,
      filter.outcome ? eq(auditLog.outcome, filter.outcome) : undefined,
      filter.targetId ? eq(auditLog.targetId, filter.targetId) : undefined,
      filter.from ? gte(auditLog.at, filter.from) : undefined,
      filter.to ? lte(auditLog.at, filter.to) : undefined,
      filter.q ? ilike(auditLog.action, `%${escapeLike(filter.q)}%`) : undefined,
    ];
    return this.db
      .select()
      .from(auditLog)
      .where(and(...conditions))
      .orderBy(desc(auditLog.id))
      .limit(limit);
  }
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}
