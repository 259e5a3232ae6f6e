import { GATEWAY_SELECTOR_KEYS } from '@fleet/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestControlPlane, type TestControlPlane } from '../../support/control-plane.js';
import { TestGateway, tryConnect } from '../../support/gateway-client.js';
import { bearer } from '../../support/http.js';
import { closed } from '../../support/mqtt/mqtt-test-client.js';
import { seedTenant, type TenantFixture } from '../../support/tenant-fixture.js';

interface Gateway {
  id: string;
  status: string;
  lifecycle: string;
  connectivity: string;
  lastSeenAt: string | null;
  connectivityChangedAt: string | null;
  agentVersion: string | null;
  configVersion: number;
  configAppliedVersion: number | null;
}

let cp: TestControlPlane;
let dn: TenantFixture;
const gateways: TestGateway[] = [];

async function claim(site = 'dn-haichau'): Promise<string> {
  const res = await dn.as.technician.post<{ code: string }>(`/api/v1/sites/${site}/claims`, {});
  expect(res.status).toBe(201);
  return res.body.code;
}

async function eventually<T>(
  read: () => Promise<T>,
  ok: (value: T) => boolean,
  what: string,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T = await read();
  while (!ok(last)) {
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 100));
    last = await read();
  }
  return last;
}

const gatewayOf = async (id: string) =>
  (await dn.as.viewer.get<Gateway>(`/api/v1/gateways/${id}`)).body;

beforeAll(async () => {
  cp = await startTestControlPlane({
    AUTH_RATE_LIMIT_PER_MINUTE: '1000',
    PRESENCE_DEBOUNCE_MS: '0',
  });
  dn = await seedTenant(cp.platform, 'danang', ['dn-haichau', 'dn-secure']);
  await dn.as.admin.patch('/api/v1/sites/dn-secure', { requiresApproval: true });
});

afterAll(async () => {
  for (const g of gateways) await g.close();
  await cp?.close();
});

describe('claim codes and enrollment', () => {
  it('gives a technician a single-use code and the command to run, and keeps only its hash', async () => {
    const res = await dn.as.technician.post<{
      id: string;
      code: string;
      expiresAt: string;
      enrollCommand: string;
    }>('/api/v1/sites/dn-haichau/claims', {});
    expect(res.status).toBe(201);
    expect(res.body.code).toMatch(/^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
    expect(res.body.enrollCommand).toContain(`--claim ${res.body.code}`);
    const minutes = (new Date(res.body.expiresAt).getTime() - Date.now()) / 60_000;
    expect(minutes).toBeGreaterThan(29);
    expect(minutes).toBeLessThanOrEqual(30);
    const stored = JSON.stringify(await cp.db.query('select * from claims'));
    expect(stored).not.toContain(res.body.code);
    expect((await dn.as.viewer.post('/api/v1/sites/dn-haichau/claims', {})).status).toBe(403);
  });

  it('enrolls a gateway once per code and explains wrong, used and expired codes (audited)', async () => {
    const code = await claim();
    const wrong = await cp.anonymous.post<{ code: string }>('/api/v1/enrollments', {
      claimCode: 'AAAA-BBBB-CCCC',
      serialNumber: 'DN-GW-1',
      model: 'rpi4',
      hardwareRevision: '1.4',
      agentVersion: '0.1.0',
      firmwareVersion: '0.1.0',
    });
    expect(wrong.status).toBe(401);
    expect(wrong.body.code).toBe('CLAIM_INVALID');

    const gateway = await TestGateway.enroll(cp.anonymous, code.toLowerCase(), 'DN-GW-1');
    gateways.push(gateway);
    expect(gateway.identity).toMatchObject({
      tenantId: 'danang',
      siteId: 'dn-haichau',
      lifecycle: 'active',
    });
    expect(gateway.identity.mqtt.username).toBe(gateway.id);
    expect(gateway.identity.mqtt.url).toMatch(/^mqtt:\/\/127\.0\.0\.1:\d+$/);

    const reused = await cp.anonymous.post<{ code: string }>('/api/v1/enrollments', {
      claimCode: code,
      serialNumber: 'DN-GW-X',
      model: 'rpi4',
      hardwareRevision: '1.4',
      agentVersion: '0.1.0',
      firmwareVersion: '0.1.0',
    });
    expect(reused.status).toBe(409);
    expect(reused.body.code).toBe('CLAIM_USED');

    const stale = await claim();
    await cp.db.query(
      "update claims set expires_at = now() - interval '1 second' where used_at is null",
    );
    const expired = await cp.anonymous.post<{ code: string }>('/api/v1/enrollments', {
      claimCode: stale,
      serialNumber: 'DN-GW-Y',
      model: 'rpi4',
      hardwareRevision: '1.4',
      agentVersion: '0.1.0',
      firmwareVersion: '0.1.0',
    });
    expect(expired.status).toBe(410);
    expect(expired.body.code).toBe('CLAIM_EXPIRED');

    const audit = await dn.as.admin.get<{
      items: { outcome: string; statusCode: number; targetId: string | null }[];
    }>('/api/v1/audit?action=gateway.enroll');
    expect(audit.body.items.map((e) => [e.outcome, e.statusCode])).toEqual([
      ['failure', 410],
      ['failure', 409],
      ['success', 201],
    ]);
    expect(audit.body.items[2]!.targetId).toBe(gateway.id);
    const platformAudit = await cp.platform.get<{ items: { statusCode: number }[] }>(
      '/api/v1/platform/audit?action=gateway.enroll',
    );
    expect(platformAudit.body.items.map((e) => e.statusCode)).toEqual([401]);
    expect(JSON.stringify(await cp.db.query('select * from gateway_credentials'))).not.toContain(
      gateway.identity.mqtt.password,
    );
  });
});

describe('connectivity and presence', () => {
  it('shows the gateway online with timestamps when it connects, and streams the change to operators', async () => {
    const gateway = gateways[0]!;
    const events = await fetch(`${cp.url}/api/v1/events?kinds=gateway.presence`, {
      headers: { ...bearer(dn.tokens.operator), accept: 'text/event-stream' },
    });
    expect(events.status).toBe(200);
    const reader = events.body!.getReader();
    let streamed = '';
    const sawPresence = (async () => {
      while (!streamed.includes('"connectivity":"online"')) {
        const { value, done } = await reader.read();
        if (done) break;
        streamed += new TextDecoder().decode(value as Uint8Array);
      }
    })();

    await gateway.connect();
    const online = await eventually(
      () => gatewayOf(gateway.id),
      (g) => g.status === 'online',
      'gateway online',
    );
    expect(online.lastSeenAt).not.toBeNull();
    expect(online.connectivityChangedAt).not.toBeNull();
    expect(online.agentVersion).toBe('0.1.0');
    await sawPresence;
    expect(streamed).toContain(gateway.id);
    await reader.cancel();

    const list = await dn.as.viewer.get<{ items: { id: string }[] }>(
      '/api/v1/gateways?selector=status=online',
    );
    expect(list.body.items.map((g) => g.id)).toEqual([gateway.id]);
    expect(GATEWAY_SELECTOR_KEYS).toContain('status');
  });

  it("refuses wrong passwords and someone else's client id", async () => {
    const { mqtt } = gateways[0]!.identity;
    expect(await tryConnect(mqtt.url, mqtt.clientId, mqtt.username, 'x'.repeat(43))).toBe(4);
    const other = await TestGateway.enroll(cp.anonymous, await claim(), 'DN-GW-2');
    gateways.push(other);
    expect(await tryConnect(mqtt.url, other.id, mqtt.username, mqtt.password)).toBe(2);
  });

  it('marks the gateway offline when the connection dies (last will)', async () => {
    const gateway = gateways[1]!;
    await gateway.connect();
    await eventually(
      () => gatewayOf(gateway.id),
      (g) => g.status === 'online',
      'second gateway online',
    );
    gateway.crash();
    await eventually(
      () => gatewayOf(gateway.id),
      (g) => g.status === 'offline',
      'offline after the will',
      15_000,
    );
  });
});

describe('configuration and telemetry', () => {
  let deviceId: string;

  it('pushes the device list and profiles to the gateway (retained), and records the ack', async () => {
    const gateway = gateways[0]!;
    const device = await dn.as.technician.post<{ id: string }>(
      `/api/v1/gateways/${gateway.id}/devices`,
      {
        name: 'Meter cabinet 7',
        profileId: 'eastron-sdm630',
        connection: { kind: 'modbus-tcp', host: '10.0.0.7', port: 502, unitId: 1 },
      },
    );
    expect(device.status).toBe(201);
    deviceId = device.body.id;
    await gateway.log!.waitFor(
      (messages) =>
        messages.some((m) => m.topic.endsWith('/config') && m.payload.includes(deviceId)),
      'config with the new device',
    );
    const config = JSON.parse(
      gateway.log!.messages.filter((m) => m.topic.endsWith('/config')).at(-1)!.payload,
    ) as {
      version: number;
      devices: { id: string; connection: { kind: string; host: string } }[];
      profiles: { id: string; source: string }[];
    };
    expect(config.devices).toEqual([
      expect.objectContaining({
        id: deviceId,
        connection: expect.objectContaining({ kind: 'modbus-tcp', host: '10.0.0.7' }),
      }),
    ]);
    expect(config.profiles.map((p) => p.id)).toEqual(['eastron-sdm630']);
    expect(config.profiles[0]!.source).toContain('voltage');
    await gateway.publish({
      v: 1,
      type: 'config_ack',
      configVersion: config.version,
      status: 'applied',
      ts: Date.now(),
    });
    await eventually(
      () => gatewayOf(gateway.id),
      (g) => g.configAppliedVersion === config.version,
      'config applied',
    );
  });

  it('stores readings of the gateway own devices, serves latest state and history, and drops others', async () => {
    const gateway = gateways[0]!;
    const t0 = Date.now() - 5_000;
    await gateway.publish({
      v: 1,
      type: 'telemetry',
      bootId: gateway.bootId,
      batchSeq: 1,
      readings: [
        { deviceId, point: 'voltage_l1', ts: t0, value: 229.8 },
        { deviceId, point: 'voltage_l1', ts: t0 + 1000, value: 230.4 },
        { deviceId, point: 'frequency', ts: t0 + 1000, value: 49.98 },
        { deviceId: '01a20000-0000-7000-8000-00000000dead', point: 'voltage_l1', ts: t0, value: 1 },
      ],
    });
    // Redelivery of the same batch (at-least-once) must not duplicate history.
    await gateway.publish({
      v: 1,
      type: 'telemetry',
      bootId: gateway.bootId,
      batchSeq: 1,
      readings: [{ deviceId, point: 'voltage_l1', ts: t0, value: 229.8 }],
    });
    const state = await eventually(
      () =>
        dn.as.viewer.get<{ points: { point: string; value: number }[] }>(
          `/api/v1/devices/${deviceId}/state`,
        ),
      (r) => r.body.points.length === 2,
      'latest state',
    );
    expect(state.body.points).toEqual([
      expect.objectContaining({ point: 'frequency', value: 49.98 }),
      expect.objectContaining({ point: 'voltage_l1', value: 230.4 }),
    ]);
    const history = await dn.as.viewer.get<{ items: { value: number }[] }>(
      `/api/v1/devices/${deviceId}/telemetry?point=voltage_l1`,
    );
    expect(history.body.items.map((i) => i.value)).toEqual([229.8, 230.4]);
    const metrics = await (await fetch(`${cp.url}/metrics`)).text();
    expect(metrics).toMatch(/telemetry_readings_total\{outcome="unknown_device"\} 1/);
    expect(metrics).toMatch(/telemetry_readings_total\{outcome="duplicate"\} 1/);
  });

  it('drops and counts malformed messages without disconnecting anyone', async () => {
    const gateway = gateways[0]!;
    await gateway.publishRaw('telemetry', '{not json');
    await gateway.publishRaw(
      'telemetry',
      JSON.stringify({ v: 1, type: 'telemetry', bootId: 'x', batchSeq: -1, readings: 'no' }),
    );
    await eventually(
      async () => (await fetch(`${cp.url}/metrics`)).text(),
      (text) =>
        /mqtt_uplinks_rejected_total\{reason="not_json"\} 1/.test(text) &&
        /mqtt_uplinks_rejected_total\{reason="invalid"\} 1/.test(text),
      'rejection counters',
    );
    expect(gateway.client!.connected).toBe(true);
    expect((await gatewayOf(gateway.id)).status).toBe('online');
  });
});

describe('isolation, approval and revocation', () => {
  it("keeps a gateway out of another gateway's topics", async () => {
    const a = gateways[0]!;
    const b = gateways[1]!;
    await b.connect();
    const refused = await b.client!.subscribeAsync(`fleet/v1/gw/${a.id}/config`, { qos: 1 }).then(
      (granted) => granted[0]!.qos === 128,
      () => true,
    );
    expect(refused).toBe(true);
    expect(b.log!.messages.some((m) => m.topic.includes(a.id))).toBe(false);
    const kicked = closed(b.client!);
    // aedes answers a publish outside the gateway's own topics by closing its connection.
    void b
      .client!.publishAsync(`fleet/v1/gw/${a.id}/status`, '{"forged":true}', { qos: 1 })
      .catch(() => undefined);
    await kicked;
    expect((await gatewayOf(a.id)).status).toBe('online');
  });

  it('holds gateways of approval sites pending until a technician approves them; pre-authorised serials skip it', async () => {
    const pending = await TestGateway.enroll(cp.anonymous, await claim('dn-secure'), 'DN-SEC-1');
    gateways.push(pending);
    expect(pending.identity.lifecycle).toBe('pending');
    const { mqtt } = pending.identity;
    expect(await tryConnect(mqtt.url, mqtt.clientId, mqtt.username, mqtt.password)).not.toBe(0);
    const listed = await dn.as.technician.get<{ items: { id: string }[] }>(
      '/api/v1/gateways?status=pending',
    );
    expect(listed.body.items.map((g) => g.id)).toEqual([pending.id]);
    expect((await dn.as.technician.post(`/api/v1/gateways/${pending.id}/approve`)).status).toBe(
      200,
    );
    expect(await tryConnect(mqtt.url, mqtt.clientId, mqtt.username, mqtt.password)).toBe(0);

    const manifest = await dn.as.admin.request<{ imported: number }>(
      'POST',
      '/api/v1/preauthorizations',
      {
        raw: 'serial,model,hardware_revision,site\nDN-SEC-2,rpi4,1.4,dn-secure\n',
        headers: { 'content-type': 'text/csv' },
      },
    );
    expect(manifest.status).toBe(201);
    expect(manifest.body.imported).toBe(1);
    const bad = await dn.as.admin.request<{ errors: { field: string }[] }>(
      'POST',
      '/api/v1/preauthorizations',
      {
        raw: 'serial,model\nok-1,rpi4\nbad serial!,rpi4\n',
        headers: { 'content-type': 'text/csv' },
      },
    );
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0]!.field).toBe('line 3: serial');
    const preauthorized = await TestGateway.enroll(
      cp.anonymous,
      await claim('dn-secure'),
      'DN-SEC-2',
    );
    gateways.push(preauthorized);
    expect(preauthorized.identity.lifecycle).toBe('active');
  });

  it('revokes a gateway: its session closes at once and it cannot come back', async () => {
    const gateway = gateways[0]!;
    const kicked = closed(gateway.client!);
    const res = await dn.as.admin.post<Gateway>(`/api/v1/gateways/${gateway.id}/revoke`);
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('revoked');
    await kicked;
    const { mqtt } = gateway.identity;
    expect(await tryConnect(mqtt.url, mqtt.clientId, mqtt.username, mqtt.password)).toBe(4);
    const again = await cp.anonymous.post<{ code: string }>('/api/v1/enrollments', {
      claimCode: await claim(),
      serialNumber: 'DN-GW-1',
      model: 'rpi4',
      hardwareRevision: '1.4',
      agentVersion: '0.1.0',
      firmwareVersion: '0.1.0',
    });
    expect(again.status).toBe(403);
    expect(again.body.code).toBe('GATEWAY_REFUSED');
  });
});
