import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestControlPlane, type TestControlPlane } from '../../support/control-plane.js';
import { bearer } from '../../support/http.js';
import { seedTenant, type TenantFixture } from '../../support/tenant-fixture.js';

let cp: TestControlPlane;
let hue: TenantFixture;
let danang: TenantFixture;
let hueGateway: string;
let hueDevice: string;

beforeAll(async () => {
  cp = await startTestControlPlane({ AUTH_RATE_LIMIT_PER_MINUTE: '100000' });
  hue = await seedTenant(cp.platform, 'hue', ['hue-citadel', 'hue-perfume']);
  danang = await seedTenant(cp.platform, 'danang', ['dn-haichau']);
  const gw = await hue.as.admin.post<{ id: string }>('/api/v1/gateways', {
    serialNumber: 'HUE-0001',
    siteId: 'hue-citadel',
    model: 'rpi4',
    hardwareRevision: '1.4',
    tags: ['streetlight'],
  });
  hueGateway = gw.body.id;
  const device = await hue.as.technician.post<{ id: string }>(
    `/api/v1/gateways/${hueGateway}/devices`,
    {
      name: 'Meter 1',
      profileId: 'eastron-sdm630',
      connection: { kind: 'modbus-rtu', bus: '/dev/ttyUSB0', unitId: 1 },
    },
  );
  expect(device.status).toBe(201);
  hueDevice = device.body.id;
  await danang.as.admin.post('/api/v1/gateways', {
    serialNumber: 'DN-0001',
    siteId: 'dn-haichau',
    model: 'rpi4',
    hardwareRevision: '1.4',
  });
});

afterAll(async () => {
  await cp?.close();
});

describe('tenant isolation', () => {
  it("answers 404 for every other tenant's resource, read or write", async () => {
    const other = danang.as.admin;
    const attempts = [
      other.get(`/api/v1/gateways/${hueGateway}`),
      other.patch(`/api/v1/gateways/${hueGateway}`, { name: 'hijacked' }),
      other.delete(`/api/v1/gateways/${hueGateway}`),
      other.get(`/api/v1/gateways/${hueGateway}/devices`),
      other.post(`/api/v1/gateways/${hueGateway}/devices`, {
        name: 'x',
        profileId: 'eastron-sdm630',
        connection: { kind: 'modbus-rtu', bus: '/dev/ttyUSB0', unitId: 2 },
      }),
      other.get(`/api/v1/devices/${hueDevice}`),
      other.patch(`/api/v1/devices/${hueDevice}`, { name: 'hijacked' }),
      other.delete(`/api/v1/devices/${hueDevice}`),
      other.get('/api/v1/sites/hue-citadel'),
      other.patch('/api/v1/sites/hue-citadel', { name: 'hijacked' }),
      other.delete('/api/v1/sites/hue-citadel'),
      other.get(`/api/v1/users/${hue.userIds.viewer}`),
      other.patch(`/api/v1/users/${hue.userIds.viewer}`, { role: 'admin' }),
      other.post('/api/v1/tokens', { name: 'steal', userId: hue.userIds.admin }),
    ];
    for (const res of await Promise.all(attempts)) expect(res.status).toBe(404);
    // Nothing changed on Hue's side.
    const gw = await hue.as.viewer.get<{ name: string }>(`/api/v1/gateways/${hueGateway}`);
    expect(gw.body.name).toBe('HUE-0001');
    const dev = await hue.as.viewer.get<{ name: string }>(`/api/v1/devices/${hueDevice}`);
    expect(dev.body.name).toBe('Meter 1');
  });

  it('lists only the caller tenant, even with a selector naming the other tenant', async () => {
    const list = await danang.as.viewer.get<{ items: { serialNumber: string }[] }>(
      `/api/v1/gateways?selector=id=${hueGateway}`,
    );
    expect(list.body.items).toEqual([]);
    const all = await danang.as.viewer.get<{ items: { serialNumber: string }[] }>(
      '/api/v1/gateways',
    );
    expect(all.body.items.map((g) => g.serialNumber)).toEqual(['DN-0001']);
    const devices = await danang.as.viewer.get<{ items: unknown[] }>(
      '/api/v1/devices?site=hue-citadel',
    );
    expect(devices.body.items).toEqual([]);
    const sites = await danang.as.viewer.get<{ items: { id: string }[] }>('/api/v1/sites');
    expect(sites.body.items.map((s) => s.id)).toEqual(['dn-haichau']);
  });

  it('refuses a tenant user who names another tenant in X-Tenant-Id', async () => {
    const res = await danang.as.admin.get('/api/v1/gateways', { 'x-tenant-id': 'hue' });
    expect(res.status).toBe(404);
  });

  it('lets the same serial number exist in two tenants without revealing either', async () => {
    const res = await danang.as.admin.post('/api/v1/gateways', {
      serialNumber: 'HUE-0001',
      siteId: 'dn-haichau',
      model: 'rpi4',
      hardwareRevision: '1.4',
    });
    expect(res.status).toBe(201);
  });

  it('limits a site-scoped technician to their sites', async () => {
    const user = await hue.as.admin.post<{ id: string }>('/api/v1/users', {
      username: 'tech.perfume',
      displayName: 'Perfume river technician',
      role: 'technician',
      siteIds: ['hue-perfume'],
    });
    expect(user.status).toBe(201);
    const token = await hue.as.admin.post<{ token: string }>('/api/v1/tokens', {
      name: 't',
      userId: user.body.id,
    });
    const tech = hue.as.viewer.with(bearer(token.body.token));
    expect((await tech.get(`/api/v1/gateways/${hueGateway}`)).status).toBe(404);
    expect((await tech.get(`/api/v1/devices/${hueDevice}`)).status).toBe(404);
    const created = await tech.post<{ id: string }>('/api/v1/gateways', {
      serialNumber: 'HUE-P-1',
      siteId: 'hue-perfume',
      model: 'rpi4',
      hardwareRevision: '1.4',
    });
    expect(created.status).toBe(201);
    expect(
      (
        await tech.post('/api/v1/gateways', {
          serialNumber: 'HUE-C-9',
          siteId: 'hue-citadel',
          model: 'rpi4',
          hardwareRevision: '1.4',
        })
      ).status,
    ).toBe(404);
    const list = await tech.get<{ items: { siteId: string }[] }>('/api/v1/gateways');
    expect(list.body.items.map((g) => g.siteId)).toEqual(['hue-perfume']);
    const sites = await tech.get<{ items: { id: string }[] }>('/api/v1/sites');
    expect(sites.body.items.map((s) => s.id)).toEqual(['hue-perfume']);
  });

  it('keeps tenant routes closed to tenant users and open to platform admins', async () => {
    expect((await hue.as.admin.get('/api/v1/tenants')).status).toBe(403);
    const tenants = await cp.platform.get<{ items: { id: string }[] }>('/api/v1/tenants');
    expect(tenants.body.items.map((t) => t.id).sort()).toEqual(['danang', 'hue']);
  });
});
