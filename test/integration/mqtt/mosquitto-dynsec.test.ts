import type { MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { encodeUplink, type DecodedUplink } from '@fleet/contracts';
import { MosquittoDynsecAdapter } from '../../../apps/control-plane/src/mqtt/mosquitto-dynsec.adapter.js';
import { MqttBusAdapter } from '../../../apps/control-plane/src/mqtt/mqtt-bus.adapter.js';
import { MosquittoProcess } from '../../support/mqtt/mosquitto-process.js';
import {
  closed,
  connectClient,
  connectRefusal,
  endAll,
  MessageLog,
  subscribeGranted,
} from '../../support/mqtt/mqtt-test-client.js';

const topic = (gw: string, channel: string): string => `fleet/v1/gw/${gw}/${channel}`;
const T = 1_767_225_600_000;

describe('Mosquitto with the dynamic security plugin', () => {
  let mosquitto: MosquittoProcess;
  let dynsec: MosquittoDynsecAdapter;
  let clients: MqttClient[] = [];

  const gateway = async (
    id: string,
    password = `pw-${id}`,
    extra: Record<string, unknown> = {},
  ): Promise<MqttClient> => {
    const client = await connectClient(mosquitto.url, {
      clientId: id,
      username: id,
      password,
      ...extra,
    });
    clients.push(client);
    return client;
  };
  const controlPlane = async (clientId = 'cp-test'): Promise<MqttClient> => {
    const client = await connectClient(mosquitto.url, { clientId, ...mosquitto.controlPlane });
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    mosquitto = await MosquittoProcess.start();
    dynsec = new MosquittoDynsecAdapter({ url: mosquitto.url, ...mosquitto.controlPlane });
    await dynsec.start();
    for (const id of ['gw-a', 'gw-b', 'gw-c', 'gw-d'])
      await dynsec.provisionGateway(id, `pw-${id}`);
  });
  afterEach(async () => {
    await endAll(clients);
    clients = [];
  });
  afterAll(async () => {
    await dynsec.stop();
    await mosquitto.stop();
  });

  it('admits a provisioned gateway only with its password and its own client id', async () => {
    const b = await gateway('gw-b');
    expect(b.connected).toBe(true);
    expect(
      await connectRefusal(mosquitto.url, {
        clientId: 'gw-a',
        username: 'gw-a',
        password: 'wrong',
      }),
    ).toBe(5);
    expect(
      await connectRefusal(mosquitto.url, {
        clientId: 'gw-x',
        username: 'gw-x',
        password: 'pw-gw-x',
      }),
    ).toBe(5);
    expect(await connectRefusal(mosquitto.url, { clientId: 'gw-a' })).toBe(5);
    // A's credentials with B's client id: refused, and B keeps its session.
    expect(
      await connectRefusal(mosquitto.url, {
        clientId: 'gw-b',
        username: 'gw-a',
        password: 'pw-gw-a',
      }),
    ).toBe(5);
    expect(b.connected).toBe(true);
  });

  it("never delivers gateway A's publishes on gateway B's topics", async () => {
    const cp = await controlPlane();
    const cpLog = new MessageLog(cp);
    await cp.subscribeAsync(topic('gw-b', 'telemetry'), { qos: 1 });
    const b = await gateway('gw-b');
    const bLog = new MessageLog(b);
    expect(await subscribeGranted(b, topic('gw-b', 'cmd'))).toEqual([1]);

    const a = await gateway('gw-a');
    // MQTT 3.1.1 has no way to refuse a PUBLISH: Mosquitto acknowledges and drops it.
    await a.publishAsync(topic('gw-b', 'telemetry'), 'forged-uplink', { qos: 1 });
    await a.publishAsync(topic('gw-b', 'cmd'), 'forged-downlink', { qos: 1 });
    await a.publishAsync(topic('gw-b', 'status'), 'forged-status', { qos: 1, retain: true });

    await b.publishAsync(topic('gw-b', 'telemetry'), 'real-uplink', { qos: 1 });
    await cp.publishAsync(topic('gw-b', 'cmd'), 'real-downlink', { qos: 1 });
    await cpLog.waitFor((m) => m.length >= 1, 'the real uplink');
    await bLog.waitFor((m) => m.length >= 1, 'the real downlink');
    expect(cpLog.messages.map((m) => m.payload)).toEqual(['real-uplink']);
    expect(bLog.messages.map((m) => m.payload)).toEqual(['real-downlink']);

    // Nothing forged was retained on B's status either.
    const late = await controlPlane('cp-late');
    const lateLog = new MessageLog(late);
    await late.subscribeAsync([topic('gw-b', 'status'), topic('gw-a', 'status')], { qos: 1 });
    await a.publishAsync(topic('gw-a', 'status'), 'a-online', { qos: 1, retain: true });
    await lateLog.waitFor((m) => m.length >= 1, "A's own status");
    expect(lateLog.messages.map((m) => m.payload)).toEqual(['a-online']);
  });

  it("refuses gateway A's subscriptions to B's downlinks and wildcards, and they never yield B's messages", async () => {
    const a = await gateway('gw-a');
    const aLog = new MessageLog(a);
    expect(
      await subscribeGranted(a, [
        topic('gw-b', 'cmd'),
        'fleet/v1/gw/+/cmd',
        'fleet/#',
        '#',
        topic('gw-a', 'telemetry'),
      ]),
    ).toEqual([128, 128, 128, 128, 128]);
    expect(await subscribeGranted(a, topic('gw-a', 'cmd'))).toEqual([1]);
    const cp = await controlPlane();
    await cp.publishAsync(topic('gw-b', 'cmd'), 'for-b', { qos: 1 });
    await cp.publishAsync(topic('gw-a', 'cmd'), 'for-a', { qos: 1 });
    await aLog.waitFor((m) => m.length >= 1, "A's own command");
    expect(aLog.messages.map((m) => `${m.topic}=${m.payload}`)).toEqual([
      `${topic('gw-a', 'cmd')}=for-a`,
    ]);
  });

  it('keeps $SYS and $CONTROL out of reach of gateways', async () => {
    const a = await gateway('gw-a');
    expect(await subscribeGranted(a, ['$SYS/#', '$CONTROL/dynamic-security/#'], 0)).toEqual([
      128, 128,
    ]);
    // A gateway trying to administer dynsec gets nowhere: gw-b still works afterwards.
    await a.publishAsync(
      '$CONTROL/dynamic-security/v1',
      JSON.stringify({ commands: [{ command: 'deleteClient', username: 'gw-b' }] }),
      { qos: 1 },
    );
    expect((await gateway('gw-b')).connected).toBe(true);
  });

  it('revoking a gateway closes its session at once and refuses it afterwards', async () => {
    const c = await gateway('gw-c');
    await dynsec.revokeGateway('gw-c');
    await closed(c);
    expect(
      await connectRefusal(mosquitto.url, {
        clientId: 'gw-c',
        username: 'gw-c',
        password: 'pw-gw-c',
      }),
    ).toBe(5);
    await dynsec.revokeGateway('gw-c'); // idempotent
    await dynsec.provisionGateway('gw-c', 'pw-new');
    expect((await gateway('gw-c', 'pw-new')).connected).toBe(true);
  });

  it('rotates a password (closing the old session) and suspends and resumes a gateway', async () => {
    const old = await gateway('gw-d');
    await dynsec.rotateGatewayPassword('gw-d', 'pw-rotated');
    await closed(old);
    expect(
      await connectRefusal(mosquitto.url, {
        clientId: 'gw-d',
        username: 'gw-d',
        password: 'pw-gw-d',
      }),
    ).toBe(5);
    const d = await gateway('gw-d', 'pw-rotated');
    await dynsec.suspendGateway('gw-d');
    await closed(d);
    expect(
      await connectRefusal(mosquitto.url, {
        clientId: 'gw-d',
        username: 'gw-d',
        password: 'pw-rotated',
      }),
    ).toBe(5);
    await dynsec.resumeGateway('gw-d');
    expect((await gateway('gw-d', 'pw-rotated')).connected).toBe(true);
    await expect(dynsec.rotateGatewayPassword('gw-nobody', 'x')).rejects.toMatchObject({
      code: 'DYNSEC_NOT_FOUND',
    });
  });

  it('shares uplinks between control-plane replicas with a shared subscription, each message once', async () => {
    const seen: { replica: string; message: DecodedUplink }[] = [];
    const replica = (name: string): MqttBusAdapter =>
      new MqttBusAdapter(
        {
          url: mosquitto.url,
          ...mosquitto.controlPlane,
          clientId: `cp-${name}`,
          sharedGroup: 'control-plane',
          protocolVersion: 5,
        },
        (message) => {
          seen.push({ replica: name, message });
        },
      );
    const one = replica('one');
    const two = replica('two');
    await one.start();
    await two.start();
    try {
      const a = await gateway('gw-a');
      for (let batchSeq = 0; batchSeq < 40; batchSeq++) {
        const m = encodeUplink('gw-a', {
          v: 1,
          type: 'telemetry',
          bootId: 'boot-1',
          batchSeq,
          readings: [{ deviceId: 'meter-1', point: 'p', ts: T, value: batchSeq }],
        });
        await a.publishAsync(m.topic, m.payload, { qos: 1 });
      }
      const deadline = Date.now() + 10_000;
      while (seen.length < 40 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      const seqs = seen.map((s) =>
        s.message.channel === 'telemetry' ? s.message.message.batchSeq : -1,
      );
      expect(seqs.sort((x, y) => x - y)).toEqual(Array.from({ length: 40 }, (_, i) => i));
      expect(new Set(seen.map((s) => s.replica))).toEqual(new Set(['one', 'two']));
    } finally {
      await one.stop();
      await two.stop();
    }
  });
});
