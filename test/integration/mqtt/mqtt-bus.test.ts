import type { MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  ContractError,
  encodeUplink,
  type DecodedUplink,
  type GatewayConfigMessage,
} from '@fleet/contracts';
import { EmbeddedBrokerAdapter } from '../../../apps/control-plane/src/mqtt/embedded-broker.adapter.js';
import { MqttBusAdapter } from '../../../apps/control-plane/src/mqtt/mqtt-bus.adapter.js';
import { InMemoryGatewayAuthenticator } from '../../support/mqtt/in-memory-gateway-authenticator.js';
import { connectClient, endAll, MessageLog } from '../../support/mqtt/mqtt-test-client.js';

const SERVICE = { username: 'control-plane', password: 'service-secret' };
const T = 1_767_225_600_000;

const telemetry = (batchSeq: number) =>
  encodeUplink('gw-a', {
    v: 1,
    type: 'telemetry',
    bootId: 'boot-1',
    batchSeq,
    readings: [{ deviceId: 'meter-1', point: 'l1_voltage', ts: T, value: 230 }],
  });

const config: GatewayConfigMessage = {
  v: 1,
  type: 'config',
  version: 1,
  issuedAt: T,
  devices: [
    {
      id: 'meter-1',
      name: 'Main meter',
      profileId: 'eastron-sdm630',
      connection: { kind: 'modbus-tcp', host: '127.0.0.1', port: 5020, unitId: 1 },
      tags: [],
    },
  ],
  profiles: [],
};

class Waiter<T> {
  readonly items: T[] = [];
  private wake: (() => void) | undefined;
  push(item: T): void {
    this.items.push(item);
    this.wake?.();
  }
  async until(count: number, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.items.length < count) {
      if (Date.now() > deadline)
        throw new Error(`expected ${count} items, have ${this.items.length}`);
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        setTimeout(resolve, 100);
      });
    }
  }
}

describe('control-plane MQTT bus over the embedded broker', () => {
  const auth = new InMemoryGatewayAuthenticator();
  const broker = new EmbeddedBrokerAdapter(
    { host: '127.0.0.1', port: 0, serviceAccount: SERVICE },
    auth,
  );
  const handled = new Waiter<DecodedUplink>();
  let failNext = false;
  /** How many more times the handler fails as if the database were away. */
  let unavailableFor = 0;
  let bus: MqttBusAdapter;
  let clients: MqttClient[] = [];

  const gateway = async (id: string): Promise<MqttClient> => {
    const client = await connectClient(broker.url, {
      clientId: id,
      username: id,
      password: `pw-${id}`,
    });
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    auth.add('gw-a', 'pw-gw-a');
    auth.add('gw-b', 'pw-gw-b');
    await broker.start();
    bus = new MqttBusAdapter(
      {
        url: broker.url,
        ...SERVICE,
        clientId: 'cp-bus-test',
        limits: { telemetry: 2048 },
        isTransient: (error) => (error as { code?: unknown }).code === 'ECONNREFUSED',
      },
      (message) => {
        if (unavailableFor > 0) {
          unavailableFor -= 1;
          throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), {
            code: 'ECONNREFUSED',
          });
        }
        if (failNext) {
          failNext = false;
          throw new Error('database unavailable');
        }
        handled.push(message);
      },
    );
    await bus.start();
  });
  afterEach(async () => {
    await endAll(clients);
    clients = [];
  });
  afterAll(async () => {
    await bus.stop();
    await broker.stop();
  });

  it('hands valid uplinks to the handler, typed and in order', async () => {
    const a = await gateway('gw-a');
    for (const seq of [1, 2, 3]) {
      const m = telemetry(seq);
      await a.publishAsync(m.topic, m.payload, { qos: 1 });
    }
    await handled.until(3);
    const seqs = handled.items.map((m) => (m.channel === 'telemetry' ? m.message.batchSeq : -1));
    expect(seqs).toEqual([1, 2, 3]);
    expect(handled.items[0]).toMatchObject({ gatewayId: 'gw-a', channel: 'telemetry' });
  });

  it('drops malformed and oversize uplinks with a counter per reason and keeps going', async () => {
    const before = bus.stats();
    const rejected: string[] = [];
    bus.on('rejected', (r) =>
      rejected.push(`${r.reason}:${r.issues.map((i) => i.path).join(',')}`),
    );
    const a = await gateway('gw-a');
    const t = 'fleet/v1/gw/gw-a/telemetry';
    await a.publishAsync(t, '{"v":1,"type":"telemetry"', { qos: 1 });
    await a.publishAsync(t, Buffer.alloc(4096, 0x20), { qos: 1 });
    await a.publishAsync(
      t,
      JSON.stringify({ v: 1, type: 'telemetry', bootId: 'b', batchSeq: -4, readings: [] }),
      { qos: 1 },
    );
    await a.publishAsync('fleet/v1/gw/gw-a/status', JSON.stringify({ v: 7, type: 'status' }), {
      qos: 1,
    });
    const ok = telemetry(99);
    await a.publishAsync(ok.topic, ok.payload, { qos: 1 });
    await handled.until(4);
    const after = bus.stats();
    expect(after.rejected.not_json - before.rejected.not_json).toBe(1);
    expect(after.rejected.oversize - before.rejected.oversize).toBe(1);
    expect(after.rejected.invalid - before.rejected.invalid).toBe(2);
    expect(rejected).toEqual(['not_json:', 'oversize:', 'invalid:batchSeq', 'invalid:v']);
    expect(handled.items.at(-1)).toMatchObject({ channel: 'telemetry', message: { batchSeq: 99 } });
  });

  it('counts a failing handler and still processes what follows', async () => {
    const a = await gateway('gw-a');
    failNext = true;
    const before = handled.items.length;
    for (const seq of [100, 101]) {
      const m = telemetry(seq);
      await a.publishAsync(m.topic, m.payload, { qos: 1 });
    }
    await handled.until(before + 1);
    expect(bus.stats().handlerErrors).toBe(1);
    expect(handled.items.at(-1)).toMatchObject({ message: { batchSeq: 101 } });
  });

  it('handles a message again while the database is away, acknowledging it only once handled, in order', async () => {
    const a = await gateway('gw-a');
    const before = { ...bus.stats(), handled: handled.items.length };
    unavailableFor = 3;
    for (const seq of [200, 201]) {
      const m = telemetry(seq);
      await a.publishAsync(m.topic, m.payload, { qos: 1 });
    }
    await handled.until(before.handled + 2);
    const seqs = handled.items
      .slice(before.handled)
      .map((m) => (m.channel === 'telemetry' ? m.message.batchSeq : -1));
    expect(seqs).toEqual([200, 201]);
    const after = bus.stats();
    expect(after.handlerRetries - before.handlerRetries).toBe(3);
    expect(after.handlerErrors).toBe(before.handlerErrors);
  });

  it('publishes config retained with QoS 1, so a gateway that subscribes later still gets it', async () => {
    await bus.publishDownlink('gw-b', config);
    const b = await gateway('gw-b');
    const log = new MessageLog(b);
    await b.subscribeAsync('fleet/v1/gw/gw-b/config', { qos: 1 });
    await log.waitFor((m) => m.length === 1, 'the retained config');
    expect(log.messages[0].retain).toBe(true);
    expect(JSON.parse(log.messages[0].payload)).toEqual(config);

    await bus.clearRetained('gw-b', 'config');
    const again = await gateway('gw-b');
    const againLog = new MessageLog(again);
    await again.subscribeAsync('fleet/v1/gw/gw-b/config', { qos: 1 });
    await bus.publishDownlink('gw-b', { v: 1, type: 'control', action: 'resync', ts: T });
    await again.subscribeAsync('fleet/v1/gw/gw-b/control', { qos: 1 });
    await bus.publishDownlink('gw-b', { v: 1, type: 'control', action: 'resync', ts: T + 1 });
    await againLog.waitFor((m) => m.length >= 1, 'the control message');
    expect(againLog.topics()).toEqual(['fleet/v1/gw/gw-b/control']);
  });

  it('fails loudly when asked for a shared subscription the embedded broker cannot honour', async () => {
    const shared = new MqttBusAdapter(
      { url: broker.url, ...SERVICE, clientId: 'cp-shared', sharedGroup: 'control-plane' },
      () => undefined,
    );
    await expect(shared.start()).rejects.toMatchObject({ code: 'MQTT_SUBSCRIBE_REFUSED' });
    expect(broker.stats().subscribesRejected.shared_unsupported).toBe(7);
    expect(shared.connected).toBe(false);
  });

  it('refuses to publish a downlink that breaks the contract', async () => {
    await expect(bus.publishDownlink('gw-b', { ...config, version: 0 })).rejects.toThrow(
      ContractError,
    );
    await expect(bus.publishDownlink('gw-b', { ...config, version: 0 })).rejects.toThrow(
      /version must not be less than 1/,
    );
  });
});
