import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { gatewayDownlinkTopics, gatewayTopic, UPLINK_CHANNELS } from '@fleet/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  routeInventory,
  type RouteAccess,
} from '../../../apps/control-plane/src/http/route-inventory.js';
import { startTestControlPlane, type TestControlPlane } from '../../support/control-plane.js';
import { TestGateway } from '../../support/gateway-client.js';
import { apiClient, bearer } from '../../support/http.js';
import { MosquittoProcess } from '../../support/mqtt/mosquitto-process.js';
import { closed } from '../../support/mqtt/mqtt-test-client.js';
import { seedTenant, type TenantFixture } from '../../support/tenant-fixture.js';
import {
  addKey,
  artifact,
  fleet,
  generateReleaseKey,
  signedFor,
  uploadRelease,
  type Artifact,
} from '../firmware/support/firmware-fixture.js';
import type { OtaTestGateway } from '../firmware/support/ota-test-gateway.js';

/**
 * Issue 8, gateway isolation: what a gateway's own credentials (its MQTT username/password, and
 * the download URLs it is handed) let it do against another gateway and against the API.
 * Complements test/e2e/provisioning/enrollment-and-link.test.ts ("keeps a gateway out of another
 * gateway's topics"), test/e2e/provisioning/mosquitto-link.test.ts, the dynamic-security
 * integration test and test/e2e/firmware/releases-and-downloads.test.ts (other gateway's URL,
 * forged/expired/missing token, wrong model).
 */

/** Every topic of `victim`, and the wildcards that would cover them. */
function victimFilters(victim: string): string[] {
  return [
    ...gatewayDownlinkTopics(victim),
    ...UPLINK_CHANNELS.map((c) => gatewayTopic(victim, c)),
    `fleet/v1/gw/${victim}/#`,
    `fleet/v1/gw/${victim}/+`,
    'fleet/v1/gw/+/config',
    'fleet/v1/gw/+/cmd',
    'fleet/v1/gw/+/ota',
    'fleet/v1/gw/+/telemetry',
    'fleet/v1/gw/#',
    'fleet/v1/#',
    '+/+/+/+/+',
    '#',
    '$share/spy/fleet/v1/gw/+/telemetry',
    '$SYS/#',
  ];
}

/** Subscribes `spy` to each filter (reconnecting if the broker hangs up); returns the refused ones. */
async function trySubscriptions(spy: TestGateway, filters: readonly string[]): Promise<string[]> {
  const refused: string[] = [];
  for (const filter of filters) {
    if (!spy.client?.connected) {
      await spy.close();
      await spy.connect();
    }
    const qos = await spy
      .client!.subscribeAsync(filter, { qos: 1 })
      .then((granted) => granted[0]?.qos ?? 128)
      .catch(() => 128);
    if (qos >= 128) refused.push(filter);
  }
  return refused;
}

/** Publishes a forged offline status on each uplink of `victim` (reconnecting after a hang-up). */
async function tryForgedUplinks(spy: TestGateway, victim: string): Promise<void> {
  for (const channel of UPLINK_CHANNELS) {
    if (!spy.client?.connected) {
      await spy.close();
      await spy.connect();
    }
    const forged = JSON.stringify({
      v: 1,
      type: 'status',
      state: 'offline',
      reason: 'shutdown',
      agentVersion: '0.0.0',
      firmwareVersion: '0.0.0',
      bootId: 'forged',
      ts: Date.now(),
      seq: 1,
    });
    // The embedded broker answers by closing the connection (the publish never completes),
    // Mosquitto by acknowledging and dropping it.
    const client = spy.client!;
    await Promise.race([
      client.publishAsync(gatewayTopic(victim, channel), forged, { qos: 1 }).catch(() => undefined),
      closed(client),
    ]);
  }
}

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.each(['embedded', 'mosquitto'] as const)('gateway topics (%s broker)', (brokerKind) => {
  let broker: MosquittoProcess | undefined;
  let cp: TestControlPlane;
  let tenant: TenantFixture;
  let victim: TestGateway;
  let spy: TestGateway;

  beforeAll(async () => {
    broker = brokerKind === 'mosquitto' ? await MosquittoProcess.start() : undefined;
    cp = await startTestControlPlane({
      AUTH_RATE_LIMIT_PER_MINUTE: '100000',
      PRESENCE_DEBOUNCE_MS: '0',
      ...(broker
        ? {
            MQTT_URL: broker.url,
            MQTT_USERNAME: broker.controlPlane.username,
            MQTT_PASSWORD: broker.controlPlane.password,
          }
        : {}),
    });
    tenant = await seedTenant(cp.platform, 'iso', ['iso-a']);
    const claim = async () =>
      (await tenant.as.technician.post<{ code: string }>('/api/v1/sites/iso-a/claims', {})).body
        .code;
    victim = await TestGateway.enroll(cp.anonymous, await claim(), 'ISO-VICTIM');
    spy = await TestGateway.enroll(cp.anonymous, await claim(), 'ISO-SPY');
    await victim.connect();
    await spy.connect();
    await until(
      async () =>
        (await tenant.as.viewer.get<{ status: string }>(`/api/v1/gateways/${victim.id}`)).body
          .status === 'online',
      'the victim online',
    );
  }, 120_000);

  afterAll(async () => {
    await victim?.close();
    await spy?.close();
    await cp?.close();
    await broker?.stop();
  });

  it("another gateway's credentials cannot read its downlinks or uplinks, directly or by wildcard", async () => {
    const filters = victimFilters(victim.id);
    const refused = await trySubscriptions(spy, filters);
    // Every filter naming the victim is refused outright; broad wildcards may be granted by an
    // ACL that filters delivery instead (Mosquitto), so delivery is what is checked below.
    for (const filter of filters.filter((f) => f.includes(victim.id)))
      expect(refused, filter).toContain(filter);
    if (!spy.client?.connected) {
      await spy.close();
      await spy.connect();
    }
    const before = victim.log!.messages.filter((m) => m.topic.endsWith('/config')).length;
    await tenant.as.technician.post(`/api/v1/gateways/${victim.id}/config/push`);
    await victim.log!.waitFor(
      (m) => m.filter((x) => x.topic.endsWith('/config')).length > before,
      'the victim receives its configuration',
    );
    await victim.publishRaw(
      'telemetry',
      JSON.stringify({ v: 1, type: 'telemetry', batchSeq: 1, ts: Date.now(), readings: [] }),
    );
    // The spy's own downlink arrives after the victim's traffic: its subscriptions were live.
    const own = spy.log!.messages.length;
    await tenant.as.technician.post(`/api/v1/gateways/${spy.id}/config/push`);
    await spy.log!.waitFor((m) => m.length > own, 'the spy receives its own configuration');
    expect(spy.log!.messages.filter((m) => m.topic.includes(victim.id))).toEqual([]);
  });

  it("another gateway's credentials cannot publish as it: forged uplinks change nothing", async () => {
    await tryForgedUplinks(spy, victim.id);
    // Then the spy's own goodbye on the same connection: once it has been processed, so would
    // any forgery the broker had let through (messages of one client arrive in order).
    if (!spy.client?.connected) {
      await spy.close();
      await spy.connect();
    }
    await spy.publish({
      v: 1,
      type: 'status',
      state: 'offline',
      reason: 'shutdown',
      agentVersion: '0.1.0',
      firmwareVersion: '0.1.0',
      bootId: spy.bootId,
      ts: Date.now(),
      seq: 1_000,
    });
    await until(
      async () =>
        (await tenant.as.viewer.get<{ status: string }>(`/api/v1/gateways/${spy.id}`)).body
          .status === 'offline',
      "the spy's own offline status",
    );
    const status = await tenant.as.viewer.get<{ status: string }>(`/api/v1/gateways/${victim.id}`);
    expect(status.body.status).toBe('online');
  });
});

describe('gateway credentials against the API and firmware downloads', () => {
  let cp: TestControlPlane;
  let tenant: TenantFixture;
  let routes: RouteAccess[];
  let rpi4: OtaTestGateway;
  let rpi3: TestGateway;
  let art: Artifact;
  let releaseId: string;
  let downloadUrl: string;
  let downloadToken: string;

  beforeAll(async () => {
    cp = await startTestControlPlane({
      AUTH_RATE_LIMIT_PER_MINUTE: '100000',
      PRESENCE_DEBOUNCE_MS: '0',
    });
    tenant = await seedTenant(cp.platform, 'isofw', ['isofw-a']);
    routes = routeInventory(cp.plane.app);
    const key = generateReleaseKey();
    await addKey(tenant.as['release-manager'], key);
    art = artifact(48 * 1024);
    releaseId = await uploadRelease(
      tenant.as['release-manager'],
      cp.url,
      tenant.tokens['release-manager'],
      signedFor(key, art, '3.0.0', { models: ['rpi4'] }),
      art,
    );
    [rpi4] = await fleet(tenant.as.technician, cp.anonymous, 'isofw-a', 1, {
      prefix: 'ISO-RPI4',
      firmwareVersion: '1.0.0',
    });
    rpi4!.behaviour = 'silent';
    const claim = await tenant.as.technician.post<{ code: string }>(
      '/api/v1/sites/isofw-a/claims',
      {},
    );
    rpi3 = await TestGateway.enroll(cp.anonymous, claim.body.code, 'ISO-RPI3', { model: 'rpi3' });
    const rollout = await tenant.as['release-manager'].post('/api/v1/rollouts', {
      releaseId,
      selector: 'serial=ISO-RPI4-1',
      waves: ['100%'],
    });
    expect(rollout.status, JSON.stringify(rollout.body)).toBe(201);
    await rpi4!.waitFor(() => rpi4!.received.length > 0, 'an ota instruction');
    downloadUrl = rpi4!.received[0]!.message.downloadUrl;
    downloadToken = rpi4!.received[0]!.message.token;
  }, 120_000);

  afterAll(async () => {
    await rpi4?.close();
    await rpi3?.close();
    await cp?.close();
  });

  it('refuses every operator route (401) to a gateway presenting its MQTT password, as Basic auth, or a download token', async () => {
    const { username, password } = rpi3.identity.mqtt;
    const presented = {
      'MQTT password as bearer': bearer(password),
      'MQTT username:password as Basic': {
        authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`,
      },
      'download token as bearer': bearer(downloadToken),
    };
    const unknown = '00000000-0000-7000-8000-000000000000';
    const checked: string[] = [];
    for (const [how, headers] of Object.entries(presented)) {
      const client = apiClient(cp.url, { ...headers, 'x-tenant-id': tenant.tenantId });
      for (const route of routes.filter((r) => r.rule?.kind !== 'public')) {
        const path = route.path.replace(/:[A-Za-z]+/g, (p) =>
          p === ':siteId' ? 'isofw-a' : p === ':tenantId' ? tenant.tenantId : unknown,
        );
        const res = await client.request(route.method, path, {
          body: route.method === 'GET' || route.method === 'DELETE' ? undefined : {},
        });
        expect(res.status, `${how}: ${route.method} ${route.path}`).toBe(401);
        checked.push(`${route.method} ${route.path}`);
      }
    }
    expect(checked.length).toBeGreaterThan(60);
    const login = await cp.anonymous.post('/api/v1/auth/login', { username, password });
    expect(login.status).toBe(401);
    // The queue dashboard takes a token from the query string too.
    const queues = await fetch(`${cp.url}/admin/queues?access_token=${password}`, {
      redirect: 'manual',
    });
    expect(queues.status).toBe(401);
  });

  it("never serves another model's firmware to a gateway guessing URLs with its own credentials", async () => {
    const bare = `${cp.url}/api/v1/firmware/downloads`;
    const { password } = rpi3.identity.mqtt;
    const stored: string[] = [];
    for (const entry of await readdir(join(cp.dataDir, 'artifacts'), {
      recursive: true,
      withFileTypes: true,
    }))
      if (entry.isFile())
        stored.push(join(entry.parentPath, entry.name).slice(cp.dataDir.length + 1));
    expect(stored.length).toBeGreaterThan(0);
    const guesses: [string, Record<string, string>][] = [
      [`${bare}/${rpi3.id}/${releaseId}`, {}],
      [`${bare}/${rpi3.id}/${releaseId}?token=${encodeURIComponent(password)}`, {}],
      [`${bare}/${rpi3.id}/${releaseId}`, bearer(password)],
      [`${bare}/${rpi3.id}/${releaseId}?token=${downloadToken}`, {}],
      [`${bare}/${rpi3.id}/${releaseId}`, bearer(downloadToken)],
      [downloadUrl.replace(rpi4.id, rpi3.id), bearer(password)],
      [`${bare}/${rpi4.id}/${releaseId}`, bearer(password)],
      [`${bare}/${rpi4.id}/${releaseId}?token=${encodeURIComponent(password)}`, {}],
      [`${bare}/${rpi3.id}/..%2F${rpi4.id}%2F${releaseId}?token=${downloadToken}`, {}],
      [`${cp.url}/api/v1/firmware/releases/${releaseId}`, bearer(password)],
      [`${cp.url}/api/v1/firmware/releases/${releaseId}/artifact`, bearer(password)],
      [`${cp.url}/api/v1/firmware/releases/${releaseId}/upload`, bearer(password)],
      [`${cp.url}/artifacts/${art.sha256}`, {}],
      ...stored.flatMap((file): [string, Record<string, string>][] => [
        [`${cp.url}/${file}`, {}],
        [`${cp.url}/${file.split('/').map(encodeURIComponent).join('%2F')}`, {}],
        [`${cp.url}/..%2F${file.split('/').map(encodeURIComponent).join('%2F')}`, {}],
        [`${cp.url}/console/../${file}`, {}],
      ]),
    ];
    for (const [url, headers] of guesses) {
      const res = await fetch(url, { headers, redirect: 'manual' });
      const body = Buffer.from(await res.arrayBuffer());
      const what = `${url.replace(cp.url, '')} ${JSON.stringify(headers)} -> ${res.status}`;
      expect(createHash('sha256').update(body).digest('hex'), what).not.toBe(art.sha256);
      expect(body.includes(art.bytes.subarray(0, 64)), what).toBe(false);
      if (url.includes('/api/')) expect(res.status, what).toBeGreaterThanOrEqual(400);
    }
    // The real URL still works for the gateway it was made for.
    const own = await fetch(downloadUrl);
    expect(
      createHash('sha256')
        .update(Buffer.from(await own.arrayBuffer()))
        .digest('hex'),
    ).toBe(art.sha256);
  });
});
