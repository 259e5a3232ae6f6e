import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestControlPlane, type TestControlPlane } from '../../support/control-plane.js';
import type { ApiClient } from '../../support/http.js';
import { seedTenant } from '../../support/tenant-fixture.js';

interface GatewayPage {
  items: {
    id: string;
    serialNumber: string;
    siteId: string;
    tags: string[];
    model: string;
    status: string;
    deviceCount: number;
  }[];
  nextCursor: string | null;
}

let cp: TestControlPlane;
let api: ApiClient;
const created: { id: string; serial: string; site: string; model: string; tags: string[] }[] = [];

beforeAll(async () => {
  cp = await startTestControlPlane({ AUTH_RATE_LIMIT_PER_MINUTE: '100000' });
  const tenant = await seedTenant(cp.platform, 'hcm', ['hcm-d1', 'hcm-d3', 'hcm-d7']);
  api = tenant.as.admin;
  const sites = ['hcm-d1', 'hcm-d3', 'hcm-d7'];
  for (let i = 0; i < 27; i++) {
    const site = sites[i % 3];
    const model = i % 2 === 0 ? 'rpi4' : 'cm4';
    const tags = [i % 3 === 1 ? 'streetlight' : 'meter', ...(i % 5 === 0 ? ['pilot'] : [])];
    const res = await api.post<{ id: string }>('/api/v1/gateways', {
      serialNumber: `HCM-${String(i).padStart(3, '0')}`,
      siteId: site,
      model,
      hardwareRevision: '1.0',
      tags,
    });
    expect(res.status).toBe(201);
    created.push({
      id: res.body.id,
      serial: `HCM-${String(i).padStart(3, '0')}`,
      site,
      model,
      tags,
    });
  }
  // A revoked-like lifecycle is not settable over the registry API; presence is tested via status below.
  const first = created[0];
  for (let unit = 1; unit <= 3; unit++) {
    await api.post(`/api/v1/gateways/${first.id}/devices`, {
      name: `Meter ${unit}`,
      profileId: 'eastron-sdm630',
      connection: { kind: 'modbus-rtu', bus: '/dev/ttyUSB0', unitId: unit },
      tags: ['meter'],
    });
  }
});

afterAll(async () => {
  await cp?.close();
});

async function all(query: string, limit = 10): Promise<GatewayPage['items']> {
  const items: GatewayPage['items'] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const sep = query ? '&' : '';
    const res: { status: number; body: GatewayPage } = await api.get<GatewayPage>(
      `/api/v1/gateways?${query}${sep}limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`,
    );
    expect(res.status).toBe(200);
    expect(res.body.items.length).toBeLessThanOrEqual(limit);
    items.push(...res.body.items);
    cursor = res.body.nextCursor;
    pages += 1;
  } while (cursor && pages < 100);
  return items;
}

describe('cursor pagination', () => {
  it('walks every gateway exactly once, in creation order', async () => {
    const items = await all('', 10);
    expect(items.map((g) => g.serialNumber)).toEqual(created.map((c) => c.serial));
  });

  it('ends with a null cursor when the last page is exactly full', async () => {
    const items = await all('', 9);
    expect(items).toHaveLength(27);
  });

  it('counts devices per gateway', async () => {
    const items = await all('selector=serial=HCM-000|HCM-001');
    expect(items.map((g) => g.deviceCount)).toEqual([3, 0]);
  });
});

describe('selector filtering', () => {
  const expectSerials = async (
    query: string,
    predicate: (c: (typeof created)[number]) => boolean,
  ) => {
    const got = (await all(query)).map((g) => g.serialNumber);
    expect(got, query).toEqual(created.filter(predicate).map((c) => c.serial));
  };

  it('ANDs terms and ORs values within a term', async () => {
    await expectSerials(
      'selector=site=hcm-d3,tag=streetlight,model=cm4',
      (c) => c.site === 'hcm-d3' && c.tags.includes('streetlight') && c.model === 'cm4',
    );
    await expectSerials(
      'selector=site=hcm-d1|hcm-d7',
      (c) => c.site === 'hcm-d1' || c.site === 'hcm-d7',
    );
  });

  it('negates', async () => {
    await expectSerials(
      'selector=tag!=pilot,model!=rpi4',
      (c) => !c.tags.includes('pilot') && c.model !== 'rpi4',
    );
  });

  it('combines the selector with single-key query filters', async () => {
    await expectSerials(
      'selector=model=rpi4&site=hcm-d3&tag=meter',
      (c) => c.model === 'rpi4' && c.site === 'hcm-d3' && c.tags.includes('meter'),
    );
  });

  it('filters by status (presence of active gateways)', async () => {
    await expectSerials('status=offline', () => true);
    await expectSerials('selector=status=online', () => false);
  });

  it('filters devices by the same syntax, joined through their gateway', async () => {
    const res = await api.get<{ items: { name: string }[] }>(
      '/api/v1/devices?selector=site=hcm-d1,profile=eastron-sdm630,tag=meter',
    );
    expect(res.body.items.map((d) => d.name)).toEqual(['Meter 1', 'Meter 2', 'Meter 3']);
    const none = await api.get<{ items: unknown[] }>('/api/v1/devices?selector=site=hcm-d3');
    expect(none.body.items).toEqual([]);
  });

  it('rejects a malformed selector with a 400 naming the selector and the reason', async () => {
    const res = await api.get<{ code: string; errors: { field: string; reason: string }[] }>(
      '/api/v1/gateways?selector=site=hcm-d1,,tag=x',
    );
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('SELECTOR_INVALID');
    expect(res.body.errors[0]).toMatchObject({
      field: 'selector',
      reason: expect.stringContaining('empty term'),
    });
  });
});
