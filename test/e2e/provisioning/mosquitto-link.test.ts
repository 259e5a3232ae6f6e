import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestControlPlane, type TestControlPlane } from '../../support/control-plane.js';
import { TestGateway, tryConnect } from '../../support/gateway-client.js';
import { closed } from '../../support/mqtt/mqtt-test-client.js';
import { MosquittoProcess } from '../../support/mqtt/mosquitto-process.js';
import { seedTenant, type TenantFixture } from '../../support/tenant-fixture.js';

/** The same gateway link against an external Mosquitto driven through its dynamic-security plugin. */
let broker: MosquittoProcess;
let cp: TestControlPlane;
let tenant: TenantFixture;
const gateways: TestGateway[] = [];

async function claim(site = 'hn-north'): Promise<string> {
  return (await tenant.as.technician.post<{ code: string }>(`/api/v1/sites/${site}/claims`, {}))
    .body.code;
}

async function statusOf(id: string): Promise<string> {
  return (await tenant.as.viewer.get<{ status: string }>(`/api/v1/gateways/${id}`)).body.status;
}

async function until(
  check: () => Promise<boolean>,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}\n${broker.log.slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  broker = await MosquittoProcess.start();
  cp = await startTestControlPlane({
    AUTH_RATE_LIMIT_PER_MINUTE: '1000',
    PRESENCE_DEBOUNCE_MS: '0',
    MQTT_URL: broker.url,
    MQTT_USERNAME: broker.controlPlane.username,
    MQTT_PASSWORD: broker.controlPlane.password,
  });
  tenant = await seedTenant(cp.platform, 'hanoi', ['hn-north', 'hn-approval']);
  await tenant.as.admin.patch('/api/v1/sites/hn-approval', { requiresApproval: true });
});

afterAll(async () => {
  for (const g of gateways) await g.close();
  await cp?.close();
  await broker?.stop();
});

describe('gateway link over Mosquitto (dynamic security)', () => {
  it('provisions broker credentials at enrollment; the gateway connects, comes online and gets its configuration', async () => {
    const gateway = await TestGateway.enroll(cp.anonymous, await claim(), 'HN-1');
    gateways.push(gateway);
    expect(gateway.identity.mqtt.url).toBe(broker.url);
    await gateway.connect();
    await until(async () => (await statusOf(gateway.id)) === 'online', 'online');
    const device = await tenant.as.technician.post<{ id: string }>(
      `/api/v1/gateways/${gateway.id}/devices`,
      {
        name: 'Streetlight 1',
        profileId: 'streetlight-controller',
        connection: { kind: 'modbus-rtu', bus: '/dev/ttyUSB0', unitId: 3 },
      },
    );
    await gateway.log!.waitFor(
      (m) => m.some((x) => x.topic.endsWith('/config') && x.payload.includes(device.body.id)),
      'config',
    );
  });

  it("gives a gateway no way into another gateway's topics", async () => {
    const a = gateways[0]!;
    const b = await TestGateway.enroll(cp.anonymous, await claim(), 'HN-2');
    gateways.push(b);
    await b.connect();
    const granted = await b.client!.subscribeAsync(`fleet/v1/gw/${a.id}/config`, { qos: 1 }).then(
      (g) => g[0]!.qos,
      () => 128,
    );
    expect(granted).toBeGreaterThanOrEqual(128);
    // Mosquitto acknowledges and silently drops a publish its ACL refuses.
    await b.client!.publishAsync(
      `fleet/v1/gw/${a.id}/status`,
      JSON.stringify({ v: 1, type: 'status', state: 'offline' }),
      { qos: 1 },
    );
    await tenant.as.technician.post(`/api/v1/gateways/${a.id}/config/push`);
    await a.log!.waitFor(
      (m) => m.filter((x) => x.topic.endsWith('/config')).length >= 2,
      'A receives its own config again',
    );
    expect(b.log!.messages.some((m) => m.topic.includes(a.id))).toBe(false);
    expect(await statusOf(a.id)).toBe('online');
  });

  it('refuses a pending gateway until approval', async () => {
    const pending = await TestGateway.enroll(cp.anonymous, await claim('hn-approval'), 'HN-P');
    gateways.push(pending);
    const { mqtt } = pending.identity;
    expect(await tryConnect(mqtt.url, mqtt.clientId, mqtt.username, mqtt.password)).not.toBe(0);
    await tenant.as.technician.post(`/api/v1/gateways/${pending.id}/approve`);
    expect(await tryConnect(mqtt.url, mqtt.clientId, mqtt.username, mqtt.password)).toBe(0);
  });

  it('revocation disconnects the gateway at once and refuses it afterwards', async () => {
    const gateway = gateways[0]!;
    const kicked = closed(gateway.client!);
    expect((await tenant.as.admin.post(`/api/v1/gateways/${gateway.id}/revoke`)).status).toBe(200);
    await kicked;
    const { mqtt } = gateway.identity;
    expect(await tryConnect(mqtt.url, mqtt.clientId, mqtt.username, mqtt.password)).not.toBe(0);
  });
});
