import { Inject, Injectable } from '@nestjs/common';
import { and, desc, eq, isNull, lt } from 'drizzle-orm';
import type { Database } from '../database/database.adapter.js';
import { DATABASE } from '../database/database.tokens.js';
import { firmwareReleases } from './firmware.schema.js';

export type ReleaseRow = typeof firmwareReleases.$inferSelect;
export type NewReleaseRow = typeof firmwareReleases.$inferInsert;

@Injectable()
export class ReleasesRepository {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  /** Inserts unless the tenant already has this version of this kind. */
  async insertIfAbsent(row: NewReleaseRow): Promise<ReleaseRow | undefined> {
    const [created] = await this.db
      .insert(firmwareReleases)
      .values(row)
      .onConflictDoNothing()
      .returning();
    return created;
  }

  async findVersion(
    tenantId: string,
    version: string,
    kind: string,
  ): Promise<ReleaseRow | undefined> {
    const [row] = await this.db
      .select()
      .from(firmwareReleases)
      .where(
        and(
          eq(firmwareReleases.tenantId, tenantId),
          eq(firmwareReleases.version, version),
          eq(firmwareReleases.kind, kind),
        ),
      );
    return row;
  }

  async find(tenantId: string, id: string): Promise<ReleaseRow | undefined> {
    const [row] = await this.db
      .select()
      .from(firmwareReleases)
      .where(and(eq(firmwareReleases.tenantId, tenantId), eq(firmwareReleases.id, id)));
    return row;
  }

  /** By id alone: downloads are authorised by their signed token, not by a user's tenant. */
  async findById(id: string): Promise<ReleaseRow | undefined> {
    const [row] = await this.db.select().from(firmwareReleases).where(eq(firmwareReleases.id, id));
    return row;
  }

  /** Newest first (UUIDv7 ids sort by creation). */
  async list(tenantId: string, before: string | undefined, limit: number): Promise<ReleaseRow[]> {
    return this.db
      .select()
      .from(firmwareReleases)
      .where(
        and(
          eq(firmwareReleases.tenantId, tenantId),
          before ? lt(firmwareReleases.id, before) : undefined,
        ),
      )
      .orderBy(desc(firmwareReleases.id))
      .limit(limit);
  }

  /** Marks the release recalled (once); undefined when missing or already recalled. */
  async recall(
    tenantId: string,
    id: string,
    reason: string,
    at: Date,
  ): Promise<ReleaseRow | undefined> {
    const [row] = await this.db
      .update(firmwareReleases)
      .set({ recalledAt: at, recallReason: reason })
      .where(
        and(
          eq(firmwareReleases.tenantId, tenantId),
          eq(firmwareReleases.id, id),
          isNull(firmwareReleases.recalledAt),
        ),
      )
      .returning();
    return row;
  }
}
