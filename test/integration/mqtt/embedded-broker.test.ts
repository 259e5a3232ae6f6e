import type { MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedBrokerAdapter } from '../../../apps/control-plane/src/mqtt/embedded-broker.adapter.js';
import { InMemoryGatewayAuthenticator } from '../../support/mqtt/in-memory-gateway-authenticator.js';
import {
  closed,
  connectClient,
  connectRefusal,
  endAll,
  MessageLog,
  subscribeGranted,
} from '../../support/mqtt/mqtt-test-client.js';

const SERVICE = { username: 'control-plane', password: 'service-secret' };
const topic = (gw: string, channel: string): string => `fleet/v1/gw/${gw}/${channel}`;

describe('embedded MQTT broker (aedes)', () => {
  const auth = new InMemoryGatewayAuthenticator();
  const broker = new EmbeddedBrokerAdapter(
    { host: '127.0.0.1', port: 0, serviceAccount: SERVICE },
    auth,
  );
  let clients: MqttClient[] = [];

  const gateway = async (id: string, extra: Record<string, unknown> = {}): Promise<MqttClient> => {
    const client = await connectClient(broker.url, {
      clientId: id,
      username: id,
      password: `pw-${id}`,
      ...extra,
    });
    clients.push(client);
    return client;
  };
  const service = async (clientId = 'cp-test'): Promise<MqttClient> => {
    const client = await connectClient(broker.url, { clientId, ...SERVICE });
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    for (const id of ['gw-a', 'gw-b', 'gw-c', 'gw-d', 'gw-e']) auth.add(id, `pw-${id}`);
    await broker.start();
  });
  afterEach(async () => {
    await endAll(clients);
    clients = [];
  });
  afterAll(async () => {
    await broker.stop();
  });

  it('accepts a gateway with its own credentials and client id', async () => {
    const client = await gateway('gw-a');
    expect(client.connected).toBe(true);
    expect(broker.isConnected('gw-a')).toBe(true);
  });

  it('refuses a wrong password and an unknown user as bad credentials and counts them', async () => {
    const before = broker.stats().connectsRejected.bad_credentials;
    expect(
      await connectRefusal(broker.url, { clientId: 'gw-a', username: 'gw-a', password: 'wrong' }),
    ).toBe(4);
    expect(
      await connectRefusal(broker.url, { clientId: 'gw-x', username: 'gw-x', password: 'pw-gw-x' }),
    ).toBe(4);
    expect(await connectRefusal(broker.url, { clientId: 'gw-a' })).toBe(4);
    expect(
      await connectRefusal(broker.url, {
        clientId: 'cp',
        username: SERVICE.username,
        password: 'nope',
      }),
    ).toBe(4);
    expect(broker.stats().connectsRejected.bad_credentials - before).toBe(4);
  });

  it("refuses a gateway that claims another gateway's client id, leaving that session alone", async () => {
    const b = await gateway('gw-b');
    expect(
      await connectRefusal(broker.url, { clientId: 'gw-b', username: 'gw-a', password: 'pw-gw-a' }),
    ).toBe(2);
    expect(broker.stats().connectsRejected.client_id_mismatch).toBe(1);
    expect(b.connected).toBe(true);
    expect(broker.isConnected('gw-b')).toBe(true);
  });

  it("refuses a last will aimed at another gateway's topics", async () => {
    const code = await connectRefusal(broker.url, {
      clientId: 'gw-a',
      username: 'gw-a',
      password: 'pw-gw-a',
      will: {
        topic: topic('gw-b', 'status'),
        payload: Buffer.from('forged'),
        qos: 1,
        retain: true,
      },
    });
    expect(code).toBe(5);
  });

  it("never delivers gateway A's publishes on gateway B's topics", async () => {
    const cp = await service();
    const cpLog = new MessageLog(cp);
    await cp.subscribeAsync(topic('gw-b', 'telemetry'), { qos: 1 });
    const b = await gateway('gw-b');
    const bLog = new MessageLog(b);
    await b.subscribeAsync(topic('gw-b', 'cmd'), { qos: 1 });

    // Forged uplink in B's name: the broker drops it and closes A's connection.
    const a = await gateway('gw-a');
    a.publish(topic('gw-b', 'telemetry'), 'forged-uplink', { qos: 1 });
    await closed(a);
    // Forged downlink to B.
    const a2 = await gateway('gw-a');
    a2.publish(topic('gw-b', 'cmd'), 'forged-downlink', { qos: 1 });
    await closed(a2);

    // Sentinels published afterwards on the same topics prove the forged ones would have arrived first.
    await b.publishAsync(topic('gw-b', 'telemetry'), 'real-uplink', { qos: 1 });
    await cp.publishAsync(topic('gw-b', 'cmd'), 'real-downlink', { qos: 1 });
    await cpLog.waitFor((m) => m.length >= 1, 'the real uplink');
    await bLog.waitFor((m) => m.length >= 1, 'the real downlink');
    expect(cpLog.messages.map((m) => m.payload)).toEqual(['real-uplink']);
    expect(bLog.messages.map((m) => m.payload)).toEqual(['real-downlink']);
    expect(broker.stats().publishesRejected.not_own_uplink).toBeGreaterThanOrEqual(2);
  });

  it("refuses gateway A's subscriptions to B's downlinks and wildcards, and they never yield B's messages", async () => {
    const a = await gateway('gw-a');
    const aLog = new MessageLog(a);
    const granted = await subscribeGranted(a, [
      topic('gw-b', 'cmd'),
      'fleet/v1/gw/+/cmd',
      'fleet/#',
      '#',
      topic('gw-b', 'telemetry'),
      topic('gw-a', 'telemetry'),
    ]);
    expect(granted).toEqual([128, 128, 128, 128, 128, 128]);
    expect(await subscribeGranted(a, topic('gw-a', 'cmd'))).toEqual([1]);

    const cp = await service();
    await cp.publishAsync(topic('gw-b', 'cmd'), 'for-b', { qos: 1 });
    await cp.publishAsync(topic('gw-b', 'config'), 'for-b', { qos: 1 });
    await cp.publishAsync(topic('gw-a', 'cmd'), 'for-a', { qos: 1 });
    await aLog.waitFor((m) => m.length >= 1, "A's own command");
    expect(aLog.messages.map((m) => `${m.topic}=${m.payload}`)).toEqual([
      `${topic('gw-a', 'cmd')}=for-a`,
    ]);
  });

  it('keeps $SYS read-only for gateways and the service account alike', async () => {
    const before = broker.stats().publishesRejected.sys_topic;
    const a = await gateway('gw-a');
    expect(await subscribeGranted(a, '$SYS/#', 0)).toEqual([128]);
    a.publish('$SYS/fake/heartbeat', 'x', { qos: 1 });
    await closed(a);
    const cp = await service();
    cp.publish('$SYS/fake/heartbeat', 'x', { qos: 1 });
    await closed(cp);
    expect(broker.stats().publishesRejected.sys_topic - before).toBe(2);
  });

  it('disconnect() closes a session at once and the gateway cannot come back once revoked', async () => {
    const c = await gateway('gw-c');
    const events: string[] = [];
    broker.on('gateway_disconnected', ({ gatewayId }) => events.push(gatewayId));
    auth.revoke('gw-c');
    await broker.revokeGateway('gw-c');
    await closed(c);
    expect(broker.isConnected('gw-c')).toBe(false);
    expect(events).toContain('gw-c');
    expect(
      await connectRefusal(broker.url, { clientId: 'gw-c', username: 'gw-c', password: 'pw-gw-c' }),
    ).toBe(4);
    expect(await broker.disconnect('gw-c')).toBe(false);
  });

  it('delivers QoS 1 messages queued while a persistent-session gateway was offline', async () => {
    const first = await gateway('gw-d', { clean: false });
    await first.subscribeAsync(topic('gw-d', 'cmd'), { qos: 1 });
    await first.endAsync();
    const cp = await service();
    for (const n of [1, 2, 3])
      await cp.publishAsync(topic('gw-d', 'cmd'), `queued-${n}`, { qos: 1 });

    const client = await connectClient(broker.url, {
      clientId: 'gw-d',
      username: 'gw-d',
      password: 'pw-gw-d',
      clean: false,
      manualConnect: false,
    });
    clients.push(client);
    const log = new MessageLog(client);
    await log.waitFor((m) => m.length >= 3, 'the queued commands');
    expect(log.messages.map((m) => m.payload)).toEqual(['queued-1', 'queued-2', 'queued-3']);
  });

  it('refuses gateways with "server unavailable" while not accepting, but still admits the service account', async () => {
    broker.setAcceptingGateways(false);
    try {
      expect(
        await connectRefusal(broker.url, {
          clientId: 'gw-e',
          username: 'gw-e',
          password: 'pw-gw-e',
        }),
      ).toBe(3);
      const cp = await service();
      expect(cp.connected).toBe(true);
    } finally {
      broker.setAcceptingGateways(true);
    }
    expect((await gateway('gw-e')).connected).toBe(true);
  });

  it('admits gateway connects at a bounded rate, refusing the excess as "server unavailable"', async () => {
    const throttled = new EmbeddedBrokerAdapter(
      { host: '127.0.0.1', port: 0, serviceAccount: SERVICE, maxConnectsPerSecond: 0.001 },
      auth,
    );
    await throttled.start();
    try {
      const first = await connectClient(throttled.url, {
        clientId: 'gw-a',
        username: 'gw-a',
        password: 'pw-gw-a',
      });
      clients.push(first);
      const codes = [];
      for (const id of ['gw-b', 'gw-d', 'gw-e']) {
        codes.push(
          await connectRefusal(throttled.url, { clientId: id, username: id, password: `pw-${id}` }),
        );
      }
      expect(codes).toEqual([3, 3, 3]);
      expect(throttled.stats().connectsRejected.rate_limited).toBe(3);
      const cp = await connectClient(throttled.url, { clientId: 'cp-x', ...SERVICE });
      clients.push(cp);
      expect(cp.connected).toBe(true);
    } finally {
      await endAll(clients);
      clients = [];
      await throttled.stop();
    }
  });
});
