import { Inject, Injectable } from '@nestjs/common';
import { and, asc, eq, gt, isNull } from 'drizzle-orm';
import type { Database } from '../database/database.adapter.js';
import { DATABASE } from '../database/database.tokens.js';
import { apiTokens, users } from '../database/schema.js';
import type { UserRow } from './users.repository.js';

export type TokenRow = typeof apiTokens.$inferSelect;
export type NewTokenRow = typeof apiTokens.$inferInsert;

@Injectable()
export class TokensRepository {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  async insert(row: NewTokenRow): Promise<TokenRow> {
    const [created] = await this.db.insert(apiTokens).values(row).returning();
    return created;
  }

  async findWithUserByHash(
    tokenHash: string,
  ): Promise<{ token: TokenRow; user: UserRow } | undefined> {
    const [row] = await this.db
      .select({ token: apiTokens, user: users })
      .from(apiTokens)
      .innerJoin(users, eq(users.id, apiTokens.userId))
      .where(eq(apiTokens.tokenHash, tokenHash));
    return row;
  }

  async findById(id: string): Promise<{ token: TokenRow; user: UserRow } | undefined> {
    const [row] = await this.db
      .select({ token: apiTokens, user: users })
      .from(apiTokens)
      .innerJoin(users, eq(users.id, apiTokens.userId))
      .where(eq(apiTokens.id, id));
    return row;
  }

  async touch(id: string, at: Date): Promise<void> {
    await this.db.update(apiTokens).set({ lastUsedAt: at }).where(eq(apiTokens.id, id));
  }

  async listForUser(userId: string, after: string | undefined, limit: number): Promise<TokenRow[]> {
    return this.db
      .select()
      .from(apiTokens)
      .where(and(eq(apiTokens.userId, userId), after ? gt(apiTokens.id, after) : undefined))
      .orderBy(asc(apiTokens.id))
      .limit(limit);
  }

  async revoke(id: string, at: Date): Promise<TokenRow | undefined> {
    const [row] = await this.db
      .update(apiTokens)
      .set({ revokedAt: at })
      .where(and(eq(apiTokens.id, id), isNull(apiTokens.revokedAt)))
      .returning();
    return row;
  }
}
