import { ROLES, type Role } from '@fleet/contracts';
import type { JsonApi } from './json-api.adapter.js';

export const DEMO_TENANT = {
  id: 'danang',
  name: 'Thành phố Đà Nẵng & Huế (demo)',
  locale: 'vi',
} as const;
export const DEMO_TIME_ZONE = 'Asia/Ho_Chi_Minh';

export interface DemoSite {
  id: string;
  name: string;
  address: string;
  latitude: number;
  longitude: number;
  tags: string[];
}

/** Street-light districts of Da Nang and Hue, with the coordinates of a cabinet in each. */
export const DEMO_SITES: readonly DemoSite[] = [
  {
    id: 'dn-haichau',
    name: 'Đà Nẵng - Hải Châu',
    address: 'Bạch Đằng, Hải Châu, Đà Nẵng',
    latitude: 16.0678,
    longitude: 108.2241,
    tags: ['danang', 'riverside'],
  },
  {
    id: 'dn-sontra',
    name: 'Đà Nẵng - Sơn Trà',
    address: 'Võ Nguyên Giáp, Sơn Trà, Đà Nẵng',
    latitude: 16.0716,
    longitude: 108.2456,
    tags: ['danang', 'beach'],
  },
  {
    id: 'dn-nguhanhson',
    name: 'Đà Nẵng - Ngũ Hành Sơn',
    address: 'Lê Văn Hiến, Ngũ Hành Sơn, Đà Nẵng',
    latitude: 16.0027,
    longitude: 108.2635,
    tags: ['danang'],
  },
  {
    id: 'dn-lienchieu',
    name: 'Đà Nẵng - Liên Chiểu',
    address: 'Nguyễn Tất Thành, Liên Chiểu, Đà Nẵng',
    latitude: 16.0752,
    longitude: 108.1506,
    tags: ['danang', 'bay'],
  },
  {
    id: 'hue-citadel',
    name: 'Huế - Kinh thành',
    address: 'Đinh Tiên Hoàng, Thuận Hòa, Huế',
    latitude: 16.4698,
    longitude: 107.5786,
    tags: ['hue', 'heritage'],
  },
  {
    id: 'hue-phuhoi',
    name: 'Huế - Phú Hội',
    address: 'Lê Lợi, Phú Hội, Huế',
    latitude: 16.4637,
    longitude: 107.5909,
    tags: ['hue', 'riverside'],
  },
];

export interface DemoUser {
  username: string;
  displayName: string;
  role: Role;
  password: string;
}

/** One user per role, for the console (well-known passwords: this is a local demo). */
export const DEMO_USERS: readonly DemoUser[] = ROLES.map((role) => ({
  username: `${role}.danang`,
  displayName: `Demo ${role}`,
  role,
  password: `${role}-demo-pass`,
}));

/**
 * Creates the demo city if it is not there yet: the tenant, its sites and users. Safe to run again
 * (an existing tenant, site or user is left as it is).
 */
export async function provisionDemoCity(api: JsonApi, adminToken: string): Promise<void> {
  await api.as(adminToken).expect('POST', '/api/v1/tenants', [201, 409], DEMO_TENANT);
  const tenant = api.as(adminToken, DEMO_TENANT.id);
  for (const site of DEMO_SITES) {
    await tenant.expect('POST', '/api/v1/sites', [201, 409], {
      id: site.id,
      name: site.name,
      timeZone: DEMO_TIME_ZONE,
      address: site.address,
      location: { latitude: site.latitude, longitude: site.longitude },
      tags: site.tags,
    });
  }
  const existing = await tenant.expect<{ items: { id: string; username: string }[] }>(
    'GET',
    '/api/v1/users?limit=500',
    [200],
  );
  const known = new Set(existing.body.items.map((u) => u.username));
  for (const user of DEMO_USERS) {
    if (known.has(user.username)) continue;
    await tenant.expect('POST', '/api/v1/users', [201, 409], user);
  }
}

/** An API token for a tenant user (what a technician has on their phone), created by the platform admin. */
export async function tokenFor(
  api: JsonApi,
  adminToken: string,
  role: Role,
  name: string,
): Promise<string> {
  const tenant = api.as(adminToken, DEMO_TENANT.id);
  const users = await tenant.expect<{ items: { id: string; username: string }[] }>(
    'GET',
    '/api/v1/users?limit=500',
    [200],
  );
  const user = users.body.items.find((u) => u.username === `${role}.danang`);
  if (!user) throw new Error(`demo user ${role}.danang is missing`);
  const token = await tenant.expect<{ token: string }>('POST', '/api/v1/tokens', [201], {
    name,
    userId: user.id,
  });
  return token.body.token;
}
