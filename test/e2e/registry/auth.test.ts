import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestControlPlane, type TestControlPlane } from '../../support/control-plane.js';
import { bearer } from '../../support/http.js';
import { seedTenant, type TenantFixture } from '../../support/tenant-fixture.js';

let cp: TestControlPlane;
let tenant: TenantFixture;

beforeAll(async () => {
  cp = await startTestControlPlane({ AUTH_RATE_LIMIT_PER_MINUTE: '5' });
  // Seeding creates 5 tokens: with a limit of 5 per minute that is exactly the budget.
  tenant = await seedTenant(cp.platform, 'auth', ['auth-a']);
});

afterAll(async () => {
  await cp?.close();
});

describe('bearer tokens', () => {
  it('stores tokens only as hashes', async () => {
    const rows = await cp.db.query<{ token_hash: string }>('select token_hash from api_tokens');
    expect(rows.length).toBeGreaterThanOrEqual(6);
    for (const token of [cp.adminToken, ...Object.values(tenant.tokens)]) {
      expect(rows.some((r) => r.token_hash.includes(token) || token.includes(r.token_hash))).toBe(
        false,
      );
    }
    const dump = JSON.stringify(await cp.db.query('select * from api_tokens'));
    expect(dump).not.toContain(tenant.tokens.admin);
  });

  it('refuses an expired token with a reason', async () => {
    const me = await tenant.as.viewer.get<{ userId: string }>('/api/v1/auth/me');
    expect(me.status).toBe(200);
    await cp.db.query(
      "update api_tokens set expires_at = now() - interval '1 second' where user_id = $1",
      [tenant.userIds.viewer],
    );
    const res = await tenant.as.viewer.get<{ code: string }>('/api/v1/auth/me');
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('TOKEN_EXPIRED');
  });

  it('refuses a revoked token at once', async () => {
    const tokens = await tenant.as.operator.get<{ items: { id: string }[] }>('/api/v1/tokens');
    const id = tokens.body.items[0].id;
    const revoked = await tenant.as.admin.delete<{ revokedAt: string }>(`/api/v1/tokens/${id}`);
    expect(revoked.status).toBe(200);
    expect(revoked.body.revokedAt).toBeTruthy();
    const res = await tenant.as.operator.get<{ code: string }>('/api/v1/auth/me');
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('TOKEN_REVOKED');
  });

  it('refuses a disabled user', async () => {
    await tenant.as.admin.patch(`/api/v1/users/${tenant.userIds.technician}`, { disabled: true });
    const res = await tenant.as.technician.get<{ code: string }>('/api/v1/auth/me');
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('USER_DISABLED');
  });
});

describe('login', () => {
  it('exchanges a password for an expiring token and refuses wrong ones without saying which part was wrong', async () => {
    const ok = await cp.anonymous.post<{
      token: string;
      expiresAt: string;
      user: { role: string };
    }>('/api/v1/auth/login', {
      username: 'release-manager.auth',
      password: 'release-manager-password-123',
    });
    expect(ok.status).toBe(200);
    expect(ok.body.user.role).toBe('release-manager');
    expect(new Date(ok.body.expiresAt).getTime()).toBeGreaterThan(Date.now());
    const me = await cp.anonymous.get<{ username: string }>(
      '/api/v1/auth/me',
      bearer(ok.body.token),
    );
    expect(me.body.username).toBe('release-manager.auth');

    const wrongPassword = await cp.anonymous.post<{ code: string; message: string }>(
      '/api/v1/auth/login',
      { username: 'release-manager.auth', password: 'nope' },
    );
    const unknownUser = await cp.anonymous.post<{ code: string; message: string }>(
      '/api/v1/auth/login',
      { username: 'nobody', password: 'nope' },
    );
    expect(wrongPassword.status).toBe(401);
    expect(unknownUser.status).toBe(401);
    expect(wrongPassword.body.message).toBe(unknownUser.body.message);
  });

  it('rate-limits login attempts per address and says when to retry', async () => {
    let last = 0;
    let retryAfter: string | null = null;
    for (let i = 0; i < 8; i++) {
      const res = await cp.anonymous.post('/api/v1/auth/login', {
        username: 'nobody',
        password: `guess-${i}`,
      });
      last = res.status;
      retryAfter = res.headers.get('retry-after');
    }
    expect(last).toBe(429);
    expect(Number(retryAfter)).toBeGreaterThan(0);
    const audit = await tenant.platform.get<{ items: { outcome: string }[] }>(
      '/api/v1/platform/audit?action=auth.login&outcome=denied',
    );
    expect(audit.body.items.length).toBeGreaterThan(0);
  });
});
