import { uuidv7 } from '@fleet/common';
import { hashToken, newToken } from './secrets.js';
import type { UsersRepository } from './users.repository.js';

/**
 * Creates the first platform administrator with a token, unless one exists; returns the token
 * (shown once) or null. Used at first start and by `fleetctl admin init`.
 */
export async function createFirstAdmin(
  users: UsersRepository,
  username = 'admin',
): Promise<{ id: string; token: string } | null> {
  const token = newToken();
  const tokenId = uuidv7();
  const created = await users.createFirstAdminIfNone(
    {
      id: uuidv7(),
      tenantId: null,
      username,
      displayName: 'Platform administrator',
      role: 'admin',
      platformAdmin: true,
    },
    { id: tokenId, userId: '', name: 'first admin token', tokenHash: hashToken(token) },
  );
  return created ? { id: tokenId, token } : null;
}
