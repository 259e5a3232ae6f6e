import { ROLES } from '@fleet/contracts';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  renderAccessMatrix,
  routeInventory,
  type RouteAccess,
} from '../../../apps/control-plane/src/http/route-inventory.js';
import { packageRoot } from '@fleet/common';
import { apiClient, bearer } from '../../support/http.js';
import { startTestControlPlane, type TestControlPlane } from '../../support/control-plane.js';
import { seedTenant, type TenantFixture } from '../../support/tenant-fixture.js';

const MATRIX_DOC = join(packageRoot(), 'docs/access-matrix.md');
const MATRIX_BEGIN = '<!-- access-matrix:begin -->';
const MATRIX_END = '<!-- access-matrix:end -->';

let cp: TestControlPlane;
let tenant: TenantFixture;
let routes: RouteAccess[];
const ids: Record<string, string> = {};

beforeAll(async () => {
  cp = await startTestControlPlane({ AUTH_RATE_LIMIT_PER_MINUTE: '100000' });
  tenant = await seedTenant(cp.platform, 'matrix');
  routes = routeInventory(cp.plane.app);
  const gw = await tenant.platform.post<{ id: string }>('/api/v1/gateways', {
    serialNumber: 'MX-1',
    siteId: 'matrix-north',
    model: 'rpi4',
    hardwareRevision: '1.4',
  });
  ids.gateway = gw.body.id;
  ids.site = 'matrix-north';
  ids.user = tenant.userIds.viewer;
});

afterAll(async () => {
  await cp?.close();
});

/** Fills path parameters; destructive routes get ids that exist nowhere, so nothing is removed. */
function concretePath(route: RouteAccess): string {
  const unknown = '00000000-0000-7000-8000-000000000000';
  return route.path
    .replace(':siteId', route.method === 'DELETE' ? 'no-such-site' : ids.site)
    .replace(':tenantId', tenant.tenantId)
    .replace(
      ':id',
      route.method === 'DELETE'
        ? unknown
        : route.path.startsWith('/api/v1/users')
          ? ids.user
          : route.path.startsWith('/api/v1/gateways')
            ? ids.gateway
            : unknown,
    );
}

describe('access matrix', () => {
  it('every route declares who may call it (deny by default)', () => {
    const undeclared = routes.filter((r) => !r.rule).map((r) => `${r.method} ${r.path}`);
    expect(undeclared).toEqual([]);
    expect(routes.length).toBeGreaterThan(20);
  });

  it('docs/access-matrix.md is the table the code enforces', () => {
    const table = renderAccessMatrix(routes);
    const doc = readFileSync(MATRIX_DOC, 'utf8');
    const current = doc
      .slice(doc.indexOf(MATRIX_BEGIN) + MATRIX_BEGIN.length, doc.indexOf(MATRIX_END))
      .trim();
    if (process.env.UPDATE_DOCS === '1' && current !== table) {
      const start = doc.indexOf(MATRIX_BEGIN) + MATRIX_BEGIN.length;
      writeFileSync(
        MATRIX_DOC,
        `${doc.slice(0, start)}\n${table}\n${doc.slice(doc.indexOf(MATRIX_END))}`,
      );
      return;
    }
    expect(
      current,
      'run `UPDATE_DOCS=1 npx vitest run test/e2e/registry/role-matrix.test.ts` after changing access rules',
    ).toBe(table);
  });

  it('refuses every non-public route without a token or with a bad one (401)', async () => {
    const bad = apiClient(cp.url, bearer('fleet_' + 'x'.repeat(43)));
    for (const route of routes.filter((r) => r.rule?.kind !== 'public')) {
      const path = concretePath(route);
      const anonymous = await cp.anonymous.request(route.method, path, {
        body: route.method === 'GET' || route.method === 'DELETE' ? undefined : {},
      });
      expect(anonymous.status, `${route.method} ${route.path} without a token`).toBe(401);
      const wrong = await bad.request(route.method, path, {
        body: route.method === 'GET' || route.method === 'DELETE' ? undefined : {},
      });
      expect(wrong.status, `${route.method} ${route.path} with a bad token`).toBe(401);
    }
  });

  it('lets each role through exactly the routes it is allowed, and answers 403 otherwise', async () => {
    const mismatches: string[] = [];
    for (const role of [...ROLES].reverse()) {
      for (const route of routes.filter((r) => r.rule?.kind !== 'public')) {
        // Logging out would revoke the token this loop still needs; its access is the same as /auth/me.
        if (route.path === '/api/v1/auth/logout') continue;
        const rule = route.rule!;
        const allowed = rule.kind === 'roles' && rule.roles.includes(role);
        const res = await tenant.as[role].request(route.method, concretePath(route), {
          body: route.method === 'GET' || route.method === 'DELETE' ? undefined : {},
        });
        const got =
          res.status === 403 ? 'forbidden' : res.status === 401 ? 'unauthenticated' : 'allowed';
        const expected = allowed ? 'allowed' : 'forbidden';
        if (got !== expected)
          mismatches.push(
            `${role} ${route.method} ${route.path}: expected ${expected}, got ${res.status}`,
          );
      }
    }
    expect(mismatches).toEqual([]);
  });

  it('lets the platform admin reach platform routes and tenant routes (naming the tenant)', async () => {
    for (const route of routes.filter(
      (r) => r.rule?.kind !== 'public' && r.path !== '/api/v1/auth/logout',
    )) {
      const res = await tenant.platform.request(route.method, concretePath(route), {
        body: route.method === 'GET' || route.method === 'DELETE' ? undefined : {},
      });
      expect([401, 403], `platform admin ${route.method} ${route.path}`).not.toContain(res.status);
    }
  });

  it('asks a platform admin to name the tenant instead of guessing one', async () => {
    const res = await cp.platform.get<{ errors: { field: string }[] }>('/api/v1/sites');
    expect(res.status).toBe(400);
    expect(res.body.errors[0].field).toBe('header x-tenant-id');
  });

  it('keeps public routes open', async () => {
    for (const path of ['/health', '/health/ready', '/docs-json', '/metrics']) {
      expect((await cp.anonymous.get(path)).status, path).toBe(200);
    }
  });
});
