import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { generateReleaseKey, signManifest } from '@fleet/firmware';
import { Redis } from 'ioredis';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  REDIS_URL,
  startTestControlPlane,
  type TestControlPlane,
} from '../support/control-plane.js';
import { apiClient, bearer, type ApiClient } from '../support/http.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { silentSimLogger } from '../../scripts/simulator/sim-logger.js';
import {
  startSimulatedFleet,
  type SimulatedFleet,
} from '../../scripts/simulator/simulated-fleet.js';
import { parseSimulatorOptions } from '../../scripts/simulator/simulator-options.js';
import { decodeQrSvg } from './support/qr-decode.js';
import { launchChromium, openConsole, type ConsolePage } from './support/browser.js';
import { ui } from './support/ui-expect.js';

/**
 * The operator console in a real browser (Debian's Chromium) against a real control plane on
 * its own Postgres database and Redis prefix: sign-in, sites, claim codes and their QR code,
 * approval, the fleet and its map, live updates, audit search, languages and roles.
 */

const TENANT = 'hue';
const SITE = 'hue-phuhoi';
const ADMIN = { username: 'lan.admin', password: 'lan-admin-password' };
const VIEWER = { username: 'minh.viewer', password: 'minh-viewer-password' };

let cp: TestControlPlane;
let browser: Browser;
let inTenant: ApiClient;
let viewerToken: string;
const open: ConsolePage[] = [];
let fleet: SimulatedFleet | undefined;
let simDir: string | undefined;

async function consolePage(options?: Parameters<typeof openConsole>[2]): Promise<ConsolePage> {
  const page = await openConsole(browser, cp.url, options);
  open.push(page);
  return page;
}

/** Publishes a live event the way control-plane replicas share them (Redis pub/sub). */
async function publishEvent(event: Record<string, unknown>): Promise<void> {
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  try {
    await redis.publish(`${cp.redisPrefix}:events`, JSON.stringify(event));
  } finally {
    redis.disconnect();
  }
}

async function signIn(c: ConsolePage, who: { username: string; password: string }) {
  const { page } = c;
  await page.goto('/');
  await page.getByRole('textbox', { name: /username|tên đăng nhập/i }).fill(who.username);
  await page.getByLabel(/^(password|mật khẩu)$/i).fill(who.password);
  await page.getByRole('button', { name: /sign in|đăng nhập/i }).click();
  await page.locator('#page-title').waitFor();
}

beforeAll(async () => {
  if (!existsSync(join(process.cwd(), 'dist/console/index.html'))) {
    throw new Error('the console is not built: run `npm run build` before the browser tests');
  }
  cp = await startTestControlPlane({
    AUTH_RATE_LIMIT_PER_MINUTE: '100000',
    MQTT_PORT: '0',
    MQTT_HOST: '127.0.0.1',
  });
  const created = await cp.platform.post('/api/v1/tenants', {
    id: TENANT,
    name: 'Thừa Thiên Huế',
    locale: 'vi',
  });
  expect(created.status).toBe(201);
  inTenant = cp.platform.with({ 'x-tenant-id': TENANT });
  for (const [user, role] of [
    [ADMIN, 'admin'],
    [VIEWER, 'viewer'],
  ] as const) {
    const res = await inTenant.post<{ id: string }>('/api/v1/users', {
      username: user.username,
      displayName: user.username,
      role,
      password: user.password,
    });
    expect(res.status).toBe(201);
    if (role === 'viewer') {
      const token = await inTenant.post<{ token: string }>('/api/v1/tokens', {
        name: 'viewer console',
        userId: res.body.id,
      });
      expect(token.status).toBe(201);
      viewerToken = token.body.token;
    }
  }
  // A second site with coordinates, so the map has something to place relative to the first.
  const other = await inTenant.post('/api/v1/sites', {
    id: 'hue-thuanhoa',
    name: 'Thuận Hoá',
    timeZone: 'Asia/Ho_Chi_Minh',
    location: { latitude: 16.4637, longitude: 107.5909 },
  });
  expect(other.status).toBe(201);
  browser = await launchChromium();
});

afterAll(async () => {
  await fleet?.stop();
  if (simDir) await rm(simDir, { recursive: true, force: true });
  for (const page of open) await page.close().catch(() => undefined);
  await browser?.close();
  await cp?.close();
});

describe('serving', () => {
  it('serves the console at / and app paths, never in place of the API, docs or health', async () => {
    const index = await fetch(`${cp.url}/`);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toContain('text/html');
    expect(index.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(index.headers.get('cache-control')).toBe('no-cache');
    const html = await index.text();
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(asset).toBeDefined();

    const deep = await fetch(`${cp.url}/gateways/0194d3c0-0000-7000-8000-000000000001`);
    expect(deep.status).toBe(200);
    expect(await deep.text()).toBe(html);

    const script = await fetch(`${cp.url}${asset!}`);
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toContain('javascript');
    expect(script.headers.get('cache-control')).toContain('immutable');

    const api = await fetch(`${cp.url}/api/v1/no-such-route`);
    expect(api.status).toBe(404);
    expect(((await api.json()) as { code: string }).code).toBe('ROUTE_NOT_FOUND');
    expect((await fetch(`${cp.url}/docs-json`)).headers.get('content-type')).toContain('json');
    expect((await fetch(`${cp.url}/health`)).status).toBe(200);
    expect((await fetch(`${cp.url}/assets/missing-file.js`)).status).toBe(404);
    expect((await fetch(`${cp.url}/favicon.ico`)).status).toBe(404);
  });
});

describe('an administrator of the tenant', () => {
  let c: ConsolePage;
  let claimCode = '';
  let gatewayId = '';

  beforeAll(async () => {
    c = await consolePage();
  });

  it('signs in with a password and lands on the fleet', async () => {
    await signIn(c, ADMIN);
    const { page } = c;
    await ui(page.locator('#page-title')).toHaveText('Fleet');
    const nav = page.getByRole('navigation', { name: 'Main' });
    for (const section of ['Fleet', 'Sites', 'Commands', 'Firmware', 'Provisioning', 'Audit log']) {
      await ui(nav.getByRole('link', { name: section })).toBeVisible();
    }
    await ui(page.getByText('Signed in as lan.admin')).toBeVisible();
  });

  it('creates a site, and sees the server name a bad field', async () => {
    const { page } = c;
    await page.getByRole('link', { name: 'Sites' }).click();
    await ui(page.locator('#page-title')).toHaveText('Sites');
    const form = page
      .locator('form')
      .filter({ has: page.getByRole('button', { name: 'Create site' }) });
    await form.getByLabel('Site id').fill('Phu Hoi');
    await form.getByLabel('Name', { exact: true }).fill('Phú Hội');
    await form.getByRole('button', { name: 'Create site' }).click();
    await ui(form.locator('.field-error')).toContainText('must be a slug');

    await form.getByLabel('Site id').fill(SITE);
    await form.getByLabel('Time zone').fill('Asia/Ho_Chi_Minh');
    await form.getByLabel('Latitude').fill('16.4619');
    await form.getByLabel('Longitude').fill('107.5955');
    await form.getByLabel('New gateways wait for approval').check();
    await form.getByRole('button', { name: 'Create site' }).click();
    await ui(page.getByRole('status').filter({ hasText: 'Site Phú Hội created.' })).toBeVisible();
    const row = page.locator(`tr[data-site="${SITE}"]`);
    await ui(row).toContainText('Asia/Ho_Chi_Minh');
    await ui(row).toContainText('yes');
    await c.screenshot('sites');

    const stored = await inTenant.get<{ requiresApproval: boolean; location: unknown }>(
      `/api/v1/sites/${SITE}`,
    );
    expect(stored.body).toMatchObject({
      requiresApproval: true,
      location: { latitude: 16.4619, longitude: 107.5955 },
    });
  });

  it('creates a claim code whose QR code scans to the enrolment command', async () => {
    const { page } = c;
    await page.getByRole('link', { name: 'Provisioning' }).click();
    await ui(page.locator('#page-title')).toHaveText('Provisioning');
    await page.getByLabel('Site', { exact: true }).selectOption(SITE);
    await page.getByRole('button', { name: 'Create claim code' }).click();
    const code = page.locator('.claim-code');
    await ui(code).toHaveText(/^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
    claimCode = (await code.textContent()) ?? '';
    const command = await page.locator('.command-line').textContent();
    expect(command).toContain(`--claim ${claimCode}`);
    expect(command).toContain(`--server ${cp.url}`);

    const qr = page.getByRole('img', { name: /QR code of the enrolment command for Phú Hội/ });
    await ui(qr).toBeVisible();
    expect(await decodeQrSvg(page, 'svg.qr')).toBe(command);
    await ui(page.locator('table').filter({ hasText: 'unused' })).toBeVisible();
    await c.screenshot('provisioning-claim');
  });

  it('approves the gateway that enrolled with that code', async () => {
    // The gateway agent's side of enrolment, as `gateway-agent enroll` sends it.
    const enrolled = await cp.anonymous.post<{ gatewayId: string; lifecycle: string }>(
      '/api/v1/enrollments',
      {
        claimCode,
        serialNumber: 'RPI4-HUE-0001',
        model: 'rpi4',
        hardwareRevision: '1.4',
        agentVersion: '0.1.0',
        firmwareVersion: '2.3.1',
      },
    );
    expect(enrolled.status).toBe(201);
    expect(enrolled.body.lifecycle).toBe('pending');
    gatewayId = enrolled.body.gatewayId;

    const { page } = c;
    const row = page.locator(`tr[data-gateway="${gatewayId}"]`);
    // The enrolment event reloads the list; reload ourselves if live updates are slow.
    await row.waitFor({ timeout: 5_000 }).catch(async () => {
      await page.reload();
    });
    await ui(row).toContainText('RPI4-HUE-0001');
    await c.screenshot('provisioning-pending');
    await row.getByRole('button', { name: /^Approve / }).click();
    await ui(page.getByRole('status').filter({ hasText: 'approved' })).toBeVisible();
    await ui(row).toHaveCount(0);
    await ui(page.getByText('No gateway is waiting for approval.')).toBeVisible();

    const gateway = await inTenant.get<{ lifecycle: string }>(`/api/v1/gateways/${gatewayId}`);
    expect(gateway.body.lifecycle).toBe('active');
  });

  it('sees the gateway on the fleet page and on the map, and filters with the selector', async () => {
    const { page } = c;
    await page.getByRole('link', { name: 'Fleet', exact: true }).click();
    const row = page.locator(`tr[data-gateway="${gatewayId}"]`);
    await ui(row).toContainText('Offline');
    await ui(row).toContainText('2.3.1');
    await ui(page.locator(`tbody[data-site="${SITE}"] th[scope="rowgroup"]`)).toContainText(
      'Phú Hội',
    );
    const marker = page.locator(`.map-site[data-site="${SITE}"] circle.map-gateway`);
    await ui(marker).toHaveAttribute('data-status', 'offline');
    await ui(page.locator('.map-site[data-site="hue-thuanhoa"]')).toHaveCount(1);
    await c.screenshot('fleet');

    const selector = page.getByLabel('Selector', { exact: true });
    await selector.fill('status=online');
    await page.getByRole('button', { name: 'Apply' }).click();
    await ui(page.getByText('No gateways match this selector.')).toBeVisible();
    expect(new URL(page.url()).searchParams.get('selector')).toBe('status=online');

    await selector.fill('colour=red');
    await ui(page.getByText(/unknown key "colour"/)).toBeVisible();
    await ui(page.getByRole('button', { name: 'Apply' })).toBeDisabled();

    await page.getByRole('button', { name: 'Clear' }).click();
    await page.getByLabel('Site', { exact: true }).selectOption(SITE);
    await ui(selector).toHaveValue(`site=${SITE}`);
    await ui(row).toBeVisible();
    await page.getByLabel('Status', { exact: true }).selectOption('offline');
    await ui(selector).toHaveValue(`site=${SITE},status=offline`);
    await ui(row).toBeVisible();
  });

  it('shows presence changes in place, as they stream in', async () => {
    const { page } = c;
    const row = page.locator(`tr[data-gateway="${gatewayId}"]`);
    await page.getByRole('button', { name: 'Clear' }).click();
    await ui(page.getByText('Live', { exact: true })).toBeVisible();
    // What a control-plane replica publishes when the gateway's MQTT session comes up.
    await publishEvent({
      kind: 'gateway.presence',
      tenantId: TENANT,
      gatewayId,
      connectivity: 'online',
      at: new Date().toISOString(),
    });
    await ui(row).toContainText('Online');
    await ui(page.locator(`.map-site[data-site="${SITE}"] circle.map-gateway`)).toHaveAttribute(
      'data-status',
      'online',
    );
  });

  it('opens the gateway with its devices, their live readings and a history chart', async () => {
    const device = await inTenant.post<{ id: string }>(`/api/v1/gateways/${gatewayId}/devices`, {
      name: 'Streetlight 7',
      profileId: 'streetlight-controller',
      connection: { kind: 'modbus-rtu', bus: '/dev/ttyUSB0', unitId: 7 },
      tags: ['streetlight'],
    });
    expect(device.status).toBe(201);
    const deviceId = device.body.id;
    // Readings as the telemetry pipeline stores them: two hours of power, the latest dimming level.
    const now = Date.now();
    for (let i = 0; i < 24; i++) {
      await cp.db.query(
        'insert into telemetry (tenant_id, device_id, point, ts, num) values ($1, $2, $3, $4, $5)',
        [TENANT, deviceId, 'power', new Date(now - (24 - i) * 5 * 60_000), 60 + i * 1.5],
      );
    }
    await cp.db.query(
      'insert into device_state (tenant_id, device_id, point, ts, value) values ($1, $2, $3, $4, $5)',
      [TENANT, deviceId, 'dim_level', new Date(now - 60_000), JSON.stringify(40)],
    );
    await cp.db.query(
      'insert into device_health (tenant_id, device_id, state, ts) values ($1, $2, $3, $4)',
      [TENANT, deviceId, 'online', new Date(now - 60_000)],
    );

    const { page } = c;
    await page.locator(`tr[data-gateway="${gatewayId}"] a`).click();
    await ui(page.locator('#page-title')).toHaveText('Gateway RPI4-HUE-0001');
    const deviceRow = page.locator(`tr[data-device="${deviceId}"]`);
    await ui(deviceRow).toContainText('Streetlight 7');
    await ui(deviceRow).toContainText('modbus-rtu /dev/ttyUSB0');
    await ui(deviceRow.locator('[data-point="dim_level"]')).toHaveText('dim_level: 40%');
    await ui(deviceRow.locator('[data-health]')).toHaveText('Responding');

    // A new reading is stored and streams in (as the telemetry pipeline does), replacing the
    // old one in place.
    const at = new Date().toISOString();
    await cp.db.query(
      'update device_state set value = $1, ts = $2 where device_id = $3 and point = $4',
      [JSON.stringify(55), at, deviceId, 'dim_level'],
    );
    await publishEvent({
      kind: 'device.readings',
      tenantId: TENANT,
      gatewayId,
      deviceId,
      readings: [{ point: 'dim_level', value: 55, ts: at }],
    });
    await ui(deviceRow.locator('[data-point="dim_level"]')).toHaveText('dim_level: 55%');

    await page.getByLabel('Point to chart').selectOption('power');
    await ui(page.locator('svg.chart path.chart-line')).toHaveCount(1);
    await ui(page.locator('.chart-stats')).toContainText('max 94.5 W');
    await ui(page.locator('.chart-stats')).toContainText('min 60 W');
    await c.screenshot('gateway');

    await deviceRow.getByRole('link', { name: 'Streetlight 7' }).click();
    await ui(page.locator('#page-title')).toHaveText('Device Streetlight 7');
    await ui(page.locator('tr[data-point="dim_level"] [data-value]')).toHaveText('55%');
    await ui(page.locator('tr[data-point="voltage"]')).toContainText('no reading yet');
    await c.screenshot('device');
  });

  it('prepares a command from the device profile: matches, typed parameters, ranges, units', async () => {
    const { page } = c;
    await page.getByRole('link', { name: 'Commands', exact: true }).click();
    await ui(page.locator('#page-title')).toHaveText('Commands');
    await page.getByLabel('Device selector').fill(`site=${SITE},profile=streetlight-controller`);
    await ui(page.locator('.match-count')).toHaveText('The selector matches 1 device.');
    const command = page.getByLabel('Command', { exact: true });
    await command.selectOption('setDim');
    const level = page.getByLabel(/^level \(%\)/);
    await ui(level).toBeVisible();
    await ui(page.getByText('Dimming level · from 0% to 100%')).toBeVisible();
    await level.fill('140');
    await page.getByRole('button', { name: 'Send to 1 device' }).click();
    await ui(page.locator('.field-error')).toHaveText('must be at most 100');
    await level.fill('40');
    await ui(page.locator('.field-error')).toHaveCount(0);

    await command.selectOption('setMode');
    const mode = page.getByLabel(/^mode/);
    await ui(mode).toBeVisible();
    expect(await mode.locator('option').allTextContents()).toEqual([
      '—',
      'manual',
      'schedule',
      'photocell',
    ]);
    await page.getByLabel('Device selector').fill('site=nowhere-at-all');
    await ui(page.locator('.match-count')).toHaveText('The selector matches no device.');
    await ui(page.getByRole('button', { name: /^Send to/ })).toBeDisabled();
    await page.getByLabel('Device selector').fill(`site=${SITE}`);
    await command.selectOption('setDim');
    await c.screenshot('commands');
  });

  it('sends the command, follows it by state per device, and cancels what has not run', async () => {
    const { page } = c;
    // Continues the form above: setDim chosen for the devices of the site.
    await page.getByLabel(/^level \(%\)/).fill('40');
    let asked = '';
    page.once('dialog', (dialog) => {
      asked = dialog.message();
      void dialog.accept();
    });
    await page.getByRole('button', { name: 'Send to 1 device' }).click();
    await ui(page.locator('#page-title')).toHaveText('Command setDim');
    expect(asked).toBe('Send setDim to 1 device?');
    const commandId = new URL(page.url()).pathname.split('/').at(-1)!;
    // The gateway is offline (no agent runs here): the execution waits, queued.
    await ui(page.locator('[data-state="queued"]').first()).toContainText('Queued: 1');
    const result = page.locator('tr[data-state]');
    await ui(result).toContainText('Streetlight 7');
    await ui(result).toHaveAttribute('data-state', 'queued');
    await c.screenshot('command');

    await page.getByRole('button', { name: 'Cancel what has not run' }).click();
    await ui(result).toHaveAttribute('data-state', 'canceled');
    await ui(page.locator('.counts')).toContainText('Canceled: 1');
    await ui(page.getByRole('button', { name: 'Cancel what has not run' })).toHaveCount(0);
    const stored = await inTenant.get<{ state: string; params: unknown; counts: unknown }>(
      `/api/v1/commands/${commandId}`,
    );
    expect(stored.body).toMatchObject({
      state: 'canceled',
      params: { level: 40 },
      counts: { canceled: 1 },
    });

    await page.getByRole('link', { name: 'Commands', exact: true }).click();
    await ui(page.locator('section[aria-labelledby="commands-recent"] tbody')).toContainText(
      'setDim',
    );
  });

  it('creates a rollout from a signed release with a preview of its waves, and pauses it', async () => {
    // A release manager's offline work: a release key, a signed manifest, the artifact.
    const key = generateReleaseKey();
    const added = await inTenant.post('/api/v1/firmware/keys', {
      name: 'hue release key',
      publicKeyPem: key.publicKeyPem,
    });
    expect(added.status).toBe(201);
    const bytes = randomBytes(64 * 1024);
    const envelope = signManifest(
      {
        version: '2.4.0',
        kind: 'agent-bundle',
        models: ['rpi4'],
        sha256: createHash('sha256').update(bytes).digest('hex'),
        size: bytes.length,
        releaseNotes: 'Faster Modbus polling',
        createdAt: new Date().toISOString(),
      },
      key.privateKeyPem,
    );
    const ticket = await inTenant.post<{ uploadPath: string }>(
      '/api/v1/firmware/releases',
      envelope,
    );
    expect(ticket.status).toBe(201);
    const put = await fetch(cp.url + ticket.body.uploadPath, {
      method: 'PUT',
      headers: {
        authorization: `Bearer ${cp.adminToken}`,
        'x-tenant-id': TENANT,
        'content-type': 'application/octet-stream',
      },
      body: bytes,
      signal: AbortSignal.timeout(30_000),
    });
    expect(put.status).toBe(201);

    const { page } = c;
    await page.getByRole('link', { name: 'Firmware', exact: true }).click();
    await ui(page.locator('#page-title')).toHaveText('Firmware and rollouts');
    const release = page.locator('tr').filter({ hasText: '2.4.0' });
    await ui(release).toContainText(`Verified (${key.keyId})`);
    await ui(release).toContainText('Faster Modbus polling');

    await page.getByLabel('Gateway selector').fill(`site=${SITE}`);
    await page.getByLabel('Waves', { exact: true }).fill('50%,100%');
    await ui(page.getByText('1 of 1 matched gateways can take this release.')).toBeVisible();
    await ui(page.locator('.wave-preview li[data-wave="1"]')).toHaveText(
      'Wave 1: 1 gateway (1 in all)',
    );
    await c.screenshot('firmware');
    await page.getByRole('button', { name: 'Create rollout' }).click();
    await ui(page.locator('#page-title')).toHaveText(/^Rollout /);
    await ui(page.locator('[data-wave="1"]')).toBeVisible();
    await c.screenshot('rollout');

    await page.getByRole('button', { name: 'Pause' }).click();
    await ui(page.locator('.page-actions')).toContainText('paused');
    await ui(page.getByRole('button', { name: 'Resume' })).toBeVisible();
    const rolloutId = new URL(page.url()).pathname.split('/').at(-1)!;
    const stored = await inTenant.get<{ state: string }>(`/api/v1/rollouts/${rolloutId}`);
    expect(stored.body.state).toBe('paused');
  });

  it('searches the audit log', async () => {
    const { page } = c;
    await page.getByRole('link', { name: 'Audit log' }).click();
    await ui(page.locator('#page-title')).toHaveText('Audit log');
    await page.getByLabel('Search actions').fill('claim');
    await page.getByRole('button', { name: 'Search' }).click();
    await ui(page.locator('tr[data-action="claim.create"]')).toHaveCount(1);
    await ui(page.locator('tr[data-action="site.create"]')).toHaveCount(0);
    expect(new URL(page.url()).searchParams.get('q')).toBe('claim');

    await page.getByLabel('Search actions').fill('');
    await page.getByLabel('Outcome').selectOption('failure');
    await page.getByRole('button', { name: 'Search' }).click();
    // The refused site id earlier is on record as a failure.
    await ui(page.locator('tr[data-action="site.create"]')).toHaveCount(1);
    await ui(page.locator('tr[data-action="gateway.approve"]')).toHaveCount(0);

    await page.getByLabel('Outcome').selectOption('');
    await page.getByLabel('Search actions').fill('gateway.approve');
    await page.getByRole('button', { name: 'Search' }).click();
    const approval = page.locator('tr[data-action="gateway.approve"]');
    await ui(approval).toContainText('lan.admin');
    await ui(approval).toContainText(gatewayId);
    await c.screenshot('audit');
  });

  it('dispatches a command to the simulated fleet and sees it succeed on every device', async () => {
    // A technician's token enrolls one simulated cabinet (real MQTT client, its own credentials)
    // in the second site: a meter, a DALI gateway, a camera, a relay board and street lights.
    const tech = await inTenant.post<{ id: string }>('/api/v1/users', {
      username: 'hoa.tech',
      displayName: 'Hoa',
      role: 'technician',
      password: 'hoa-technician-password',
    });
    expect(tech.status).toBe(201);
    const techToken = await inTenant.post<{ token: string }>('/api/v1/tokens', {
      name: 'simulator',
      userId: tech.body.id,
    });
    expect(techToken.status).toBe(201);
    simDir = await mkdtemp(join(tmpdir(), 'console-sim-'));
    fleet = await startSimulatedFleet(
      parseSimulatorOptions({
        server: cp.url,
        token: techToken.body.token,
        gateways: '1',
        devicesPerGateway: '6',
        sites: 'hue-thuanhoa',
        stateFile: join(simDir, 'identities.json'),
        batchMs: '200',
        pollScale: '0.05',
        heartbeatSeconds: '2',
        statsSeconds: '0',
      }),
      silentSimLogger,
    );

    const { page } = c;
    await page.getByRole('link', { name: 'Commands', exact: true }).click();
    await ui(page.locator('#page-title')).toHaveText('Commands');
    await page
      .getByLabel('Device selector')
      .fill('site=hue-thuanhoa,profile=streetlight-controller');
    await ui(page.locator('.match-count')).toHaveText(/^The selector matches \d+ devices\.$/);
    const lights = Number(/\d+/.exec(await page.locator('.match-count').innerText())![0]);
    expect(lights).toBeGreaterThanOrEqual(2);
    await page.getByLabel('Command', { exact: true }).selectOption('setDim');
    await page.getByLabel(/^level \(%\)/).fill('30');
    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByRole('button', { name: `Send to ${lights} devices` }).click();
    await ui(page.locator('#page-title')).toHaveText('Command setDim');
    const commandId = new URL(page.url()).pathname.split('/').at(-1)!;
    // The simulated gateway is online: both lights run it and the page follows them live.
    await ui(page.locator('.counts'), 60_000).toContainText(`Succeeded: ${lights}`);
    await ui(page.locator('tr[data-state="succeeded"]')).toHaveCount(lights);
    await c.screenshot('command-succeeded');
    const stored = await inTenant.get<{ state: string; counts: Record<string, number> }>(
      `/api/v1/commands/${commandId}`,
    );
    expect(stored.body.state).toBe('completed');
    expect(stored.body.counts).toMatchObject({ succeeded: lights });
    // Back where the next test expects the page to be.
    await page.getByRole('link', { name: 'Audit log' }).click();
    await ui(page.locator('#page-title')).toHaveText('Audit log');
  });

  it('switches to Vietnamese, with dates and numbers to match, and keeps the choice', async () => {
    const { page } = c;
    await page.getByLabel('Language').selectOption('vi');
    await ui(page.locator('html')).toHaveAttribute('lang', 'vi');
    const nav = page.getByRole('navigation', { name: 'Điều hướng chính' });
    await ui(nav.getByRole('link', { name: 'Đội thiết bị' })).toBeVisible();
    await ui(page.locator('#page-title')).toHaveText('Nhật ký kiểm tra');
    await page.reload();
    await ui(page.locator('#page-title')).toHaveText('Nhật ký kiểm tra');
    await nav.getByRole('link', { name: 'Địa điểm' }).click();
    // Coordinates with a decimal comma, as Vietnamese writes them.
    await ui(page.locator(`tr[data-site="${SITE}"]`)).toContainText('16,4619, 107,5955');
    await c.screenshot('sites-vi');
    await page.getByLabel('Ngôn ngữ').selectOption('en');
    await ui(page.locator('html')).toHaveAttribute('lang', 'en');
  });

  it('stays on its own origin and throws nothing', () => {
    expect(c.foreignRequests).toEqual([]);
    expect(c.pageErrors).toEqual([]);
  });
});

describe('a viewer', () => {
  it('signs in with an API token and is offered nothing it may not do', async () => {
    const c = await consolePage();
    const { page } = c;
    await page.goto('/');
    await page.getByRole('radio', { name: 'API token' }).check();
    await page.getByLabel('Paste the token').fill(viewerToken);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await ui(page.locator('#page-title')).toHaveText('Fleet');
    const nav = page.getByRole('navigation', { name: 'Main' });
    await ui(nav.getByRole('link', { name: 'Fleet' })).toBeVisible();
    await ui(nav.getByRole('link', { name: 'Provisioning' })).toHaveCount(0);
    await ui(nav.getByRole('link', { name: 'Audit log' })).toHaveCount(0);
    await nav.getByRole('link', { name: 'Sites' }).click();
    await ui(page.locator(`tr[data-site="${SITE}"]`)).toBeVisible();
    await ui(page.getByRole('button', { name: 'Create site' })).toHaveCount(0);
    await nav.getByRole('link', { name: 'Commands' }).click();
    await ui(page.getByText('Your role may look at commands but not send them.')).toBeVisible();
    await c.screenshot('viewer-commands');

    // Typing the address does not help: the API refuses and the page says so.
    await page.goto('/audit');
    await ui(page.getByRole('alert')).toContainText('role viewer may not do this');

    // Signing out of a pasted token forgets it without revoking it.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await ui(page.getByRole('heading', { name: /Sign in/ })).toBeVisible();
    const still = await apiClient(cp.url, bearer(viewerToken)).get('/api/v1/auth/me');
    expect(still.status).toBe(200);
    expect(c.foreignRequests).toEqual([]);
  });

  it('is told when the session has ended', async () => {
    const c = await consolePage();
    await signIn(c, VIEWER);
    const { page } = c;
    const stored = await page.evaluate<string>("sessionStorage.getItem('fleet.session')");
    const token = (JSON.parse(stored) as { token: string }).token;
    const out = await apiClient(cp.url, bearer(token)).post('/api/v1/auth/logout');
    expect(out.status).toBe(204);
    await page.getByRole('link', { name: 'Sites' }).click();
    await ui(page.getByText('Your session ended. Please sign in again.')).toBeVisible();
  });
});

describe('a platform administrator', () => {
  it('picks the tenant to act in, and the tenant language is the default', async () => {
    const c = await consolePage({ locale: 'en-US' });
    const { page } = c;
    await page.goto('/');
    await page.getByRole('radio', { name: 'API token' }).check();
    await page.getByLabel('Paste the token').fill(cp.adminToken);
    await page.getByRole('button', { name: 'Sign in' }).click();
    // Hue's tenant speaks Vietnamese, so the console does until someone chooses otherwise.
    await ui(page.locator('#page-title')).toHaveText('Đội thiết bị');
    const tenant = page.getByLabel('Đơn vị');
    await ui(tenant).toHaveValue(TENANT);
    // Live updates reach platform administrators too: the stream names the tenant in a header.
    await ui(page.getByRole('status').filter({ hasText: 'Trực tiếp' })).toBeVisible();
    await ui(page.locator(`tbody[data-site="${SITE}"]`)).toBeVisible();
    await c.screenshot('platform-fleet-vi');

    const other = await cp.platform.post('/api/v1/tenants', {
      id: 'quang-tri',
      name: 'Quảng Trị',
      locale: 'en',
    });
    expect(other.status).toBe(201);
    await page.reload();
    await page.getByLabel('Đơn vị').selectOption('quang-tri');
    await ui(page.locator('#page-title')).toHaveText('Fleet');
    await ui(page.getByText('No gateways match this selector.')).toBeVisible();
    expect(c.pageErrors).toEqual([]);
  });
});

describe('keyboard and small screens', () => {
  it('starts with a skip link to the main content, and has the landmarks', async () => {
    const c = await consolePage();
    await signIn(c, ADMIN);
    const { page } = c;
    // A keyboard user arriving on a page (the session is kept for the tab).
    await page.goto('/fleet');
    await page.locator('#page-title').waitFor();
    await page.keyboard.press('Tab');
    const skip = page.getByRole('link', { name: 'Skip to content' });
    await ui(skip).toBeFocused();
    await page.keyboard.press('Enter');
    await ui(page.locator('main#main')).toBeFocused();
    await ui(page.getByRole('banner')).toHaveCount(1);
    await ui(page.getByRole('navigation', { name: 'Main' })).toHaveCount(1);
    await ui(page.getByRole('main')).toHaveCount(1);
    // After navigating, focus lands on the new page's heading.
    await page.getByRole('link', { name: 'Sites' }).focus();
    await page.keyboard.press('Enter');
    await ui(page.locator('#page-title')).toBeFocused();
    // Also when the page's heading only appears once its data has loaded.
    await page.getByRole('link', { name: 'Fleet', exact: true }).click();
    await page.locator('tbody[data-site] a').first().focus();
    await page.keyboard.press('Enter');
    await ui(page.locator('#page-title')).toHaveText(/^Gateway /);
    await ui(page.locator('#page-title')).toBeFocused();
  });

  it('fits a tablet without sideways scrolling', async () => {
    const c = await consolePage({ width: 820, height: 1180 });
    await signIn(c, ADMIN);
    const { page } = c;
    await ui(page.locator('svg.map-svg')).toBeVisible();
    const overflow = await page.evaluate<number>(
      'document.documentElement.scrollWidth - document.documentElement.clientWidth',
    );
    expect(overflow).toBeLessThanOrEqual(0);
    await c.screenshot('fleet-tablet');
  });
});
