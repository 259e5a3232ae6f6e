import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  ForbiddenError,
  InvalidInputError,
  NotFoundError,
  UnauthenticatedError,
  uuidv7,
} from '@fleet/common';
import { isRole } from '@fleet/contracts';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.tokens.js';
import { createFirstAdmin } from './first-admin.js';
import type { Principal } from './principal.js';
import { hashPassword, hashToken, looksLikeToken, newToken, verifyPassword } from './secrets.js';
import { TokensRepository, type TokenRow } from './tokens.repository.js';
import { UsersRepository, type UserRow } from './users.repository.js';

/** Touching last-used on every request would turn reads into writes; once a minute is enough. */
const TOUCH_INTERVAL_MS = 60_000;
// A stand-in hash so an unknown username costs the same as a wrong password.
const DUMMY_PASSWORD_HASH =
  'scrypt$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

export interface IssuedToken {
  id: string;
  token: string;
  name: string;
  expiresAt: Date | null;
}

@Injectable()
export class AuthService {
  private readonly logger = new Logger(AuthService.name);

  constructor(
    private readonly tokens: TokensRepository,
    private readonly users: UsersRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Resolves a bearer token to its principal, or explains why it cannot. */
  async authenticate(token: string | undefined, now = new Date()): Promise<Principal> {
    if (!token)
      throw new UnauthenticatedError('TOKEN_MISSING', 'send Authorization: Bearer <token>');
    if (!looksLikeToken(token))
      throw new UnauthenticatedError('TOKEN_INVALID', 'the token is not valid');
    const found = await this.tokens.findWithUserByHash(hashToken(token));
    if (!found) throw new UnauthenticatedError('TOKEN_INVALID', 'the token is not valid');
    const { token: row, user } = found;
    if (row.revokedAt)
      throw new UnauthenticatedError('TOKEN_REVOKED', 'the token has been revoked');
    if (row.expiresAt && row.expiresAt <= now) {
      throw new UnauthenticatedError('TOKEN_EXPIRED', 'the token has expired');
    }
    if (user.disabled) throw new UnauthenticatedError('USER_DISABLED', 'the user is disabled');
    if (!row.lastUsedAt || now.getTime() - row.lastUsedAt.getTime() > TOUCH_INTERVAL_MS) {
      this.tokens.touch(row.id, now).catch((error: unknown) => {
        this.logger.warn({ err: error, tokenId: row.id }, 'could not record token use');
      });
    }
    return toPrincipal(user, row.id);
  }

  async login(username: string, password: string): Promise<IssuedToken & { principal: Principal }> {
    const user = await this.users.findByUsername(username);
    const ok = await verifyPassword(password, user?.passwordHash ?? DUMMY_PASSWORD_HASH);
    if (!user || !ok || user.disabled) {
      throw new UnauthenticatedError('INVALID_CREDENTIALS', 'wrong username or password');
    }
    const ttl = this.config.SESSION_TTL_SECONDS;
    const issued = await this.issue(user.id, `login ${new Date().toISOString()}`, ttl);
    return { ...issued, principal: toPrincipal(user, issued.id) };
  }

  /** A new token for the caller, or (admins) for a user of their tenant. */
  async createToken(
    caller: Principal,
    input: { name: string; expiresInSeconds?: number; userId?: string },
  ): Promise<IssuedToken> {
    const userId = input.userId ?? caller.userId;
    if (userId !== caller.userId) await this.assertCanManage(caller, userId);
    return this.issue(userId, input.name, input.expiresInSeconds);
  }

  async listTokens(
    caller: Principal,
    userId: string | undefined,
    after: string | undefined,
    limit: number,
  ) {
    const target = userId ?? caller.userId;
    if (target !== caller.userId) await this.assertCanManage(caller, target);
    return this.tokens.listForUser(target, after, limit);
  }

  async revokeToken(caller: Principal, tokenId: string): Promise<TokenRow> {
    const found = await this.tokens.findById(tokenId);
    if (!found) throw new NotFoundError('TOKEN_NOT_FOUND', `token ${tokenId} not found`);
    if (found.user.id !== caller.userId) await this.assertCanManage(caller, found.user.id);
    const revoked = await this.tokens.revoke(tokenId, new Date());
    return revoked ?? found.token;
  }

  /**
   * Creates the first platform administrator and its token when none exists. Returns null when an
   * administrator is already there, so a second start (or a second replica) prints nothing.
   */
  async bootstrapFirstAdmin(username = 'admin'): Promise<IssuedToken | null> {
    const created = await createFirstAdmin(this.users, username);
    return created ? { ...created, name: 'first admin token', expiresAt: null } : null;
  }

  async setPassword(userId: string, password: string): Promise<void> {
    if (password.length < 10) {
      throw new InvalidInputError('VALIDATION_FAILED', [
        { field: 'password', reason: 'must be at least 10 characters' },
      ]);
    }
    await this.users.update(userId, { passwordHash: await hashPassword(password) });
  }

  private async issue(
    userId: string,
    name: string,
    expiresInSeconds?: number,
  ): Promise<IssuedToken> {
    const token = newToken();
    const expiresAt = expiresInSeconds ? new Date(Date.now() + expiresInSeconds * 1000) : null;
    const row = await this.tokens.insert({
      id: uuidv7(),
      userId,
      name,
      tokenHash: hashToken(token),
      expiresAt,
    });
    return { id: row.id, token, name: row.name, expiresAt: row.expiresAt };
  }

  /** Platform admins manage anyone; tenant admins manage users of their own tenant. */
  private async assertCanManage(caller: Principal, userId: string): Promise<void> {
    const target = await this.users.findById(userId);
    const visible =
      target &&
      (caller.platformAdmin ||
        (caller.homeTenantId !== null && target.tenantId === caller.homeTenantId));
    if (!target || !visible) throw new NotFoundError('USER_NOT_FOUND', `user ${userId} not found`);
    if (!caller.platformAdmin && caller.role !== 'admin') {
      throw new ForbiddenError('ROLE_FORBIDDEN', "only an admin manages other users' tokens");
    }
  }
}

export function toPrincipal(user: UserRow, tokenId: string): Principal {
  if (!isRole(user.role)) throw new Error(`user ${user.id} has unknown role ${user.role}`);
  return {
    userId: user.id,
    tokenId,
    username: user.username,
    role: user.role,
    platformAdmin: user.platformAdmin,
    homeTenantId: user.tenantId,
    siteIds: user.siteIds ?? null,
  };
}
