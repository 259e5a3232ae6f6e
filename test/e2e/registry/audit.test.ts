import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestControlPlane, type TestControlPlane } from '../../support/control-plane.js';
import { seedTenant, type TenantFixture } from '../../support/tenant-fixture.js';

interface AuditPage {
  items: {
    action: string;
    actorName: string | null;
    targetId: string | null;
    outcome: string;
    statusCode: number;
    requestId: string;
    method: string;
    path: string;
  }[];
  nextCursor: string | null;
}

let cp: TestControlPlane;
let tenant: TenantFixture;

beforeAll(async () => {
  cp = await startTestControlPlane({ AUTH_RATE_LIMIT_PER_MINUTE: '100000' });
  tenant = await seedTenant(cp.platform, 'audit', ['audit-a']);
});

afterAll(async () => {
  await cp?.close();
});

describe('audit log', () => {
  it('records every mutation with actor, action, target, outcome and the request id', async () => {
    const created = await tenant.as.technician.post<{ id: string }>(
      '/api/v1/gateways',
      { serialNumber: 'AU-1', siteId: 'audit-a', model: 'rpi4', hardwareRevision: '1.0' },
      { 'x-request-id': 'req-create-au-1' },
    );
    expect(created.status).toBe(201);
    expect(created.headers.get('x-request-id')).toBe('req-create-au-1');
    await tenant.as.operator.patch(
      `/api/v1/gateways/${created.body.id}`,
      { tags: ['pilot'] },
      { 'x-request-id': 'req-tag-au-1' },
    );

    const log = await tenant.as.admin.get<AuditPage>(`/api/v1/audit?targetId=${created.body.id}`);
    expect(log.status).toBe(200);
    expect(log.body.items.map((e) => [e.action, e.actorName, e.outcome, e.requestId])).toEqual([
      ['gateway.update', 'operator.audit', 'success', 'req-tag-au-1'],
      ['gateway.create', 'technician.audit', 'success', 'req-create-au-1'],
    ]);
  });

  it('records refused and failed attempts too', async () => {
    const denied = await tenant.as.viewer.post('/api/v1/sites', {
      id: 'x',
      name: 'x',
      timeZone: 'UTC',
    });
    expect(denied.status).toBe(403);
    const failed = await tenant.as.admin.post('/api/v1/sites', {
      id: 'Bad Id',
      name: 'x',
      timeZone: 'UTC',
    });
    expect(failed.status).toBe(400);
    const log = await tenant.as.admin.get<AuditPage>('/api/v1/audit?action=site.create');
    // The platform administrator's own site.create from the fixture is in the log too.
    expect(
      log.body.items
        .filter((e) => e.actorName !== 'admin')
        .map((e) => [e.actorName, e.outcome, e.statusCode]),
    ).toEqual([
      ['admin.audit', 'failure', 400],
      ['viewer.audit', 'denied', 403],
    ]);
  });

  it('never shows one tenant the other tenant log', async () => {
    const other = await seedTenant(cp.platform, 'other', ['other-a']);
    const log = await other.as.admin.get<AuditPage>('/api/v1/audit?limit=500');
    expect(log.body.items.every((e) => !e.actorName?.endsWith('.audit'))).toBe(true);
  });

  it('pages newest first and filters by actor and outcome', async () => {
    for (let i = 0; i < 5; i++) {
      await tenant.as.admin.post('/api/v1/gateways', {
        serialNumber: `AU-P-${i}`,
        siteId: 'audit-a',
        model: 'rpi4',
        hardwareRevision: '1.0',
      });
    }
    const first = await tenant.as.admin.get<AuditPage>(
      '/api/v1/audit?actor=admin.audit&outcome=success&limit=3',
    );
    expect(first.body.items).toHaveLength(3);
    expect(first.body.nextCursor).not.toBeNull();
    const second = await tenant.as.admin.get<AuditPage>(
      `/api/v1/audit?actor=admin.audit&outcome=success&limit=3&cursor=${first.body.nextCursor}`,
    );
    const paths = [...first.body.items, ...second.body.items].map((e) => e.action);
    expect(paths.slice(0, 5).every((a) => a === 'gateway.create')).toBe(true);
    expect(new Set([...first.body.items, ...second.body.items].map((e) => e.requestId)).size).toBe(
      first.body.items.length + second.body.items.length,
    );
  });
});
