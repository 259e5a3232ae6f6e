import { Inject, Injectable } from '@nestjs/common';
import { and, asc, count, eq, gt, isNull, sql } from 'drizzle-orm';
import type { Database } from '../database/database.adapter.js';
import { DATABASE } from '../database/database.tokens.js';
import { apiTokens, users } from '../database/schema.js';

export type UserRow = typeof users.$inferSelect;
export type NewUserRow = typeof users.$inferInsert;

@Injectable()
export class UsersRepository {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  async insert(row: NewUserRow): Promise<UserRow> {
    const [created] = await this.db.insert(users).values(row).returning();
    return created;
  }

  async findById(id: string): Promise<UserRow | undefined> {
    const [row] = await this.db.select().from(users).where(eq(users.id, id));
    return row;
  }

  async findByUsername(username: string): Promise<UserRow | undefined> {
    const [row] = await this.db.select().from(users).where(eq(users.username, username));
    return row;
  }

  /** Users of one tenant (or platform users when tenantId is null), by id after the cursor. */
  async list(
    tenantId: string | null,
    after: string | undefined,
    limit: number,
  ): Promise<UserRow[]> {
    return this.db
      .select()
      .from(users)
      .where(
        and(
          tenantId === null ? isNull(users.tenantId) : eq(users.tenantId, tenantId),
          after ? gt(users.id, after) : undefined,
        ),
      )
      .orderBy(asc(users.id))
      .limit(limit);
  }

  async update(id: string, patch: Partial<NewUserRow>): Promise<UserRow | undefined> {
    const [row] = await this.db.update(users).set(patch).where(eq(users.id, id)).returning();
    return row;
  }

  async delete(id: string): Promise<boolean> {
    const deleted = await this.db.delete(users).where(eq(users.id, id)).returning({ id: users.id });
    return deleted.length > 0;
  }

  async countPlatformAdmins(): Promise<number> {
    const [row] = await this.db
      .select({ n: count() })
      .from(users)
      .where(and(eq(users.platformAdmin, true), eq(users.disabled, false)));
    return row?.n ?? 0;
  }

  /**
   * Creates the first platform administrator and its token in one transaction, unless an enabled
   * platform administrator exists. An advisory lock keeps two replicas from both doing it.
   */
  async createFirstAdminIfNone(
    user: NewUserRow,
    token: typeof apiTokens.$inferInsert,
  ): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock(${0x666c656574 + 1})`);
      const [admins] = await tx
        .select({ n: count() })
        .from(users)
        .where(and(eq(users.platformAdmin, true), eq(users.disabled, false)));
      if ((admins?.n ?? 0) > 0) return false;
      const [existing] = await tx.select().from(users).where(eq(users.username, user.username));
      const userId = existing?.id ?? user.id;
      if (existing) {
        await tx
          .update(users)
          .set({ platformAdmin: true, disabled: false, role: 'admin' })
          .where(eq(users.id, existing.id));
      } else {
        await tx.insert(users).values(user);
      }
      await tx.insert(apiTokens).values({ ...token, userId });
      return true;
    });
  }
}
