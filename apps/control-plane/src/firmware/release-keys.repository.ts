import { Inject, Injectable } from '@nestjs/common';
import { and, asc, eq, isNull } from 'drizzle-orm';
import type { Database } from '../database/database.adapter.js';
import { DATABASE } from '../database/database.tokens.js';
import { releaseKeys } from './firmware.schema.js';

export type ReleaseKeyRow = typeof releaseKeys.$inferSelect;

@Injectable()
export class ReleaseKeysRepository {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  /** Inserts the key unless the tenant already has one with this id. */
  async insertIfAbsent(row: typeof releaseKeys.$inferInsert): Promise<ReleaseKeyRow | undefined> {
    const [created] = await this.db
      .insert(releaseKeys)
      .values(row)
      .onConflictDoNothing()
      .returning();
    return created;
  }

  async list(tenantId: string): Promise<ReleaseKeyRow[]> {
    return this.db
      .select()
      .from(releaseKeys)
      .where(eq(releaseKeys.tenantId, tenantId))
      .orderBy(asc(releaseKeys.createdAt), asc(releaseKeys.keyId));
  }

  async find(tenantId: string, keyId: string): Promise<ReleaseKeyRow | undefined> {
    const [row] = await this.db
      .select()
      .from(releaseKeys)
      .where(and(eq(releaseKeys.tenantId, tenantId), eq(releaseKeys.keyId, keyId)));
    return row;
  }

  /** Marks the key revoked (once); undefined when the tenant has no such key or it was revoked. */
  async revoke(tenantId: string, keyId: string, at: Date): Promise<ReleaseKeyRow | undefined> {
    const [row] = await this.db
      .update(releaseKeys)
      .set({ revokedAt: at })
      .where(
        and(
          eq(releaseKeys.tenantId, tenantId),
          eq(releaseKeys.keyId, keyId),
          isNull(releaseKeys.revokedAt),
        ),
      )
      .returning();
    return row;
  }
}
