import { ROLES, type Role } from '@fleet/contracts';
import { expect } from 'vitest';
import type { ApiClient } from './http.js';
import { bearer } from './http.js';

export interface TenantFixture {
  tenantId: string;
  /** One client per role, each with its own user and token. */
  as: Record<Role, ApiClient>;
  tokens: Record<Role, string>;
  userIds: Record<Role, string>;
  /** The platform admin acting inside this tenant. */
  platform: ApiClient;
}

/** Creates a tenant, its sites, and one user + token per role. */
export async function seedTenant(
  platform: ApiClient,
  tenantId: string,
  sites: readonly string[] = [`${tenantId}-north`, `${tenantId}-south`],
): Promise<TenantFixture> {
  const created = await platform.post('/api/v1/tenants', {
    id: tenantId,
    name: `Tenant ${tenantId}`,
  });
  expect(created.status).toBe(201);
  const inTenant = platform.with({ 'x-tenant-id': tenantId });
  for (const site of sites) {
    const res = await inTenant.post('/api/v1/sites', {
      id: site,
      name: site,
      timeZone: 'Asia/Ho_Chi_Minh',
      location: { latitude: 16.05, longitude: 108.2 },
    });
    expect(res.status).toBe(201);
  }
  const tokens = {} as Record<Role, string>;
  const userIds = {} as Record<Role, string>;
  for (const role of ROLES) {
    const user = await inTenant.post<{ id: string }>('/api/v1/users', {
      username: `${role}.${tenantId}`,
      displayName: `${role} of ${tenantId}`,
      role,
      password: `${role}-password-123`,
    });
    expect(user.status).toBe(201);
    userIds[role] = user.body.id;
    const token = await inTenant.post<{ token: string }>('/api/v1/tokens', {
      name: `${role} token`,
      userId: user.body.id,
    });
    expect(token.status).toBe(201);
    tokens[role] = token.body.token;
  }
  const as = Object.fromEntries(ROLES.map((r) => [r, platformLike(platform, tokens[r])])) as Record<
    Role,
    ApiClient
  >;
  return { tenantId, as, tokens, userIds, platform: inTenant };
}

function platformLike(platform: ApiClient, token: string): ApiClient {
  return platform.with(bearer(token));
}
