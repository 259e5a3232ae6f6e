import { encodeUplink, type DecodedUplink } from '@fleet/contracts';
import { connect, type MqttClient } from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import { MosquittoDynsecAdapter } from '../../../apps/control-plane/src/mqtt/mosquitto-dynsec.adapter.js';
import { MqttBusAdapter } from '../../../apps/control-plane/src/mqtt/mqtt-bus.adapter.js';
import { MosquittoProcess } from '../../support/mqtt/mosquitto-process.js';

/** The control plane's bus keeps receiving uplinks after Mosquitto restarts under it. */
let broker: MosquittoProcess;
let bus: MqttBusAdapter | undefined;
let dynsec: MosquittoDynsecAdapter | undefined;
let gateway: MqttClient | undefined;

afterAll(async () => {
  gateway?.end(true);
  await bus?.stop();
  await dynsec?.stop();
  await broker?.stop();
});

const telemetry = (id: string, batchSeq: number) =>
  encodeUplink(id, {
    v: 1,
    type: 'telemetry',
    bootId: 'boot-1',
    batchSeq,
    readings: [{ deviceId: 'meter-1', point: 'voltage', ts: Date.now(), value: 230 + batchSeq }],
  });

describe('bus over a restarting Mosquitto', () => {
  it('receives uplinks published after the broker came back', async () => {
    broker = await MosquittoProcess.start();
    dynsec = new MosquittoDynsecAdapter({ url: broker.url, ...broker.controlPlane });
    await dynsec.start();
    const id = 'gw-restart-1';
    await dynsec.provisionGateway(id, 'gateway-password-0123456789');
    const received: DecodedUplink[] = [];
    bus = new MqttBusAdapter(
      {
        url: broker.url,
        ...broker.controlPlane,
        clientId: 'cp-restart',
        sharedGroup: 'control-plane',
        protocolVersion: 5,
        reconnectPeriodMs: 300,
      },
      (m) => {
        received.push(m);
      },
    );
    await bus.start();
    gateway = connect(broker.url, {
      clientId: id,
      username: id,
      password: 'gateway-password-0123456789',
      reconnectPeriod: 300,
      clean: false,
    });
    await new Promise((r) => gateway!.once('connect', r));
    const first = telemetry(id, 1);
    await gateway.publishAsync(first.topic, Buffer.from(first.payload), { qos: 1 });
    const waitFor = async (n: number) => {
      const deadline = Date.now() + 15_000;
      while (received.length < n && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 100));
    };
    await waitFor(1);
    expect(received).toHaveLength(1);

    await broker.kill();
    await new Promise((r) => setTimeout(r, 1_000));
    await broker.restart();
    await new Promise((r) => gateway!.once('connect', r));
    await new Promise((r) => setTimeout(r, 1_500));
    const second = telemetry(id, 2);
    await gateway.publishAsync(second.topic, Buffer.from(second.payload), { qos: 1 });
    await waitFor(2);
    expect(received.length, broker.log.slice(-2000)).toBe(2);
  });
});
