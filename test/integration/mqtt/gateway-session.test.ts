import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DecodedDownlink, TelemetryMessage } from '@fleet/contracts';
import { EmbeddedBrokerAdapter } from '../../../apps/control-plane/src/mqtt/embedded-broker.adapter.js';
import { MosquittoDynsecAdapter } from '../../../apps/control-plane/src/mqtt/mosquitto-dynsec.adapter.js';
import { MqttBusAdapter } from '../../../apps/control-plane/src/mqtt/mqtt-bus.adapter.js';
import { DiskBuffer } from '../../../apps/gateway-agent/src/connectivity/disk-buffer.js';
import {
  GatewaySession,
  type GatewaySessionOptions,
} from '../../../apps/gateway-agent/src/connectivity/gateway-session.js';
import { InMemoryGatewayAuthenticator } from '../../support/mqtt/in-memory-gateway-authenticator.js';
import { MosquittoProcess } from '../../support/mqtt/mosquitto-process.js';
import { freePort } from '../../support/mqtt/free-port.js';
import { connectClient } from '../../support/mqtt/mqtt-test-client.js';
import { UplinkCollector } from '../../support/mqtt/uplink-collector.js';

const SERVICE = { username: 'control-plane', password: 'service-secret' };
const T = 1_767_225_600_000;
const FAST_BACKOFF = { initialDelayMs: 50, maxDelayMs: 400, refusedInitialDelayMs: 60_000 };

const batch = (batchSeq: number): TelemetryMessage => ({
  v: 1,
  type: 'telemetry',
  bootId: 'boot-1',
  batchSeq,
  readings: [
    { deviceId: 'meter-1', point: 'l1_voltage', ts: T + batchSeq, value: 220 + (batchSeq % 20) },
  ],
});

function once<T>(
  emitter: GatewaySession,
  event: 'connected' | 'refused' | 'disconnected',
): Promise<T> {
  return new Promise((resolve) => {
    emitter.once(event, (arg: unknown) => {
      resolve(arg as T);
    });
  });
}

/** First arrival of each batch, in arrival order: at-least-once may repeat, it must not reorder or lose. */
function firstArrivals(seqs: readonly number[]): number[] {
  const seen = new Set<number>();
  return seqs.filter((s) => !seen.has(s) && seen.add(s));
}

class Harness {
  dirs: string[] = [];
  sessions: GatewaySession[] = [];
  buffers: DiskBuffer[] = [];

  async outbox(dir?: string): Promise<DiskBuffer> {
    const path = dir ?? (await mkdtemp(join(tmpdir(), 'fleet-agent-')));
    if (!dir) this.dirs.push(path);
    const buffer = await DiskBuffer.open({ dir: join(path, 'outbox'), fsync: false });
    this.buffers.push(buffer);
    return buffer;
  }

  session(options: GatewaySessionOptions): GatewaySession {
    const session = new GatewaySession(options);
    this.sessions.push(session);
    return session;
  }

  async cleanup(): Promise<void> {
    for (const s of this.sessions) await s.stop(1_000);
    for (const b of this.buffers) await b.close().catch(() => undefined);
    for (const d of this.dirs) await rm(d, { recursive: true, force: true });
    this.sessions = [];
    this.buffers = [];
    this.dirs = [];
  }
}

describe('gateway session against the embedded broker', () => {
  const auth = new InMemoryGatewayAuthenticator();
  const collector = new UplinkCollector();
  const harness = new Harness();
  let broker: EmbeddedBrokerAdapter;
  let bus: MqttBusAdapter;
  let port = 0;

  const startBroker = async (acceptGateways = true): Promise<void> => {
    broker = new EmbeddedBrokerAdapter(
      { host: '127.0.0.1', port, serviceAccount: SERVICE, acceptGateways },
      auth,
    );
    port = (await broker.start()).port;
    bus = new MqttBusAdapter(
      { url: broker.url, ...SERVICE, clientId: 'cp-session-test', reconnectPeriodMs: 100 },
      collector.handler,
    );
    await bus.start();
  };
  const stopBroker = async (): Promise<void> => {
    await bus.stop();
    await broker.stop();
  };
  const sessionOptions = (
    gatewayId: string,
    outbox: DiskBuffer,
    downlinks: DecodedDownlink[] = [],
  ): GatewaySessionOptions => ({
    url: `mqtt://127.0.0.1:${port}`,
    gatewayId,
    password: `pw-${gatewayId}`,
    agentVersion: '1.0.0',
    firmwareVersion: '1.0.0',
    bootId: `boot-${gatewayId}`,
    outbox,
    onDownlink: (message) => {
      downlinks.push(message);
    },
    backoff: FAST_BACKOFF,
    heartbeatIntervalMs: 60_000,
    keepaliveSeconds: 5,
  });

  beforeAll(async () => {
    for (const id of ['gw-1', 'gw-2', 'gw-3', 'gw-4']) auth.add(id, `pw-${id}`);
    await startBroker();
  });
  afterEach(async () => {
    await harness.cleanup();
  });
  afterAll(async () => {
    await stopBroker();
  });

  it('announces itself online, takes valid downlinks and drops invalid ones without falling over', async () => {
    const downlinks: DecodedDownlink[] = [];
    const session = harness.session(sessionOptions('gw-1', await harness.outbox(), downlinks));
    const connected = once(session, 'connected');
    session.start();
    await connected;
    await collector.waitFor(
      (m) =>
        collector.statuses('gw-1').length > 0 &&
        m.some((x) => x.gatewayId === 'gw-1' && x.channel === 'heartbeat'),
      'online status and heartbeat',
    );
    expect(collector.statuses('gw-1')[0]).toMatchObject({ state: 'online', seq: 0 });

    const raw = await connectClient(broker.url, { clientId: 'cp-raw', ...SERVICE });
    await raw.publishAsync(
      'fleet/v1/gw/gw-1/cmd',
      '{"v":1,"type":"cmd","executions":[{"executionId":"bad id"}]}',
      { qos: 1 },
    );
    await raw.publishAsync('fleet/v1/gw/gw-1/cmd', 'not json', { qos: 1 });
    await raw.endAsync();
    await bus.publishDownlink('gw-1', {
      v: 1,
      type: 'cmd',
      executions: [
        {
          executionId: 'e-1',
          commandId: 'c-1',
          deviceId: 'lamp-1',
          command: 'setDim',
          params: { level: 40 },
          priority: 50,
          expiresAt: T,
        },
      ],
    });
    const deadline = Date.now() + 10_000;
    while (downlinks.length === 0 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    expect(downlinks.map((d) => d.channel)).toEqual(['cmd']);
    expect(session.stats().invalidDownlinks).toMatchObject({ invalid: 1, not_json: 1 });
    expect(session.connected).toBe(true);
  });

  it('leaves a retained offline will when its connection is cut, and comes back online by itself', async () => {
    const session = harness.session(sessionOptions('gw-2', await harness.outbox()));
    const connected = once(session, 'connected');
    session.start();
    await connected;
    const reconnected = new Promise<void>((resolve) => {
      session.on('connected', () => {
        resolve();
      });
    });
    const lost = once<{ error?: string }>(session, 'disconnected');
    await broker.disconnect('gw-2');
    await lost;
    await reconnected;
    expect(session.stats()).toMatchObject({ connects: 2, disconnects: 1, state: 'connected' });
    await collector.waitFor(
      (m) => m.length > 0 && collector.statuses('gw-2').length >= 3,
      'online, will, online',
    );
    expect(collector.statuses('gw-2').slice(0, 3)).toEqual([
      { state: 'online', seq: 0 },
      { state: 'offline', seq: 1, reason: 'connection_lost' },
      { state: 'online', seq: 2 },
    ]);
    await session.stop();
    await collector.waitFor(
      () => collector.statuses('gw-2').some((s) => s.reason === 'shutdown'),
      'the shutdown status',
    );
    expect(collector.statuses('gw-2').at(-1)).toEqual({
      state: 'offline',
      seq: 3,
      reason: 'shutdown',
    });
  });

  it('buffers telemetry through a broker outage and an agent restart, then delivers every batch in order', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fleet-agent-'));
    harness.dirs.push(dir);
    let outbox = await harness.outbox(dir);
    let session = harness.session(sessionOptions('gw-3', outbox));
    const connected = once(session, 'connected');
    session.start();
    await connected;
    for (let n = 0; n < 5; n++) await session.publish(batch(n));
    await collector.waitFor(() => collector.batchSeqs('gw-3').length >= 5, 'the first batches');

    await stopBroker();
    for (let n = 5; n < 25; n++) await session.publish(batch(n));
    expect(outbox.stats().depth).toBe(20);

    // The agent restarts while the control plane is still away.
    await session.stop(500);
    await outbox.close();
    outbox = await harness.outbox(dir);
    expect(outbox.stats().depth).toBe(20);
    session = harness.session(sessionOptions('gw-3', outbox));
    session.start();
    for (let n = 25; n < 40; n++) await session.publish(batch(n));

    // Back, but gateways wait until the bus has subscribed (uplinks with no subscriber are lost).
    await startBroker(false);
    broker.setAcceptingGateways(true);
    await collector.waitFor(
      () => new Set(collector.batchSeqs('gw-3')).size >= 40,
      'all 40 batches',
    );
    expect(firstArrivals(collector.batchSeqs('gw-3'))).toEqual(
      Array.from({ length: 40 }, (_, i) => i),
    );
    const deadline = Date.now() + 5_000;
    while (outbox.stats().depth > 0 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    expect(outbox.stats()).toMatchObject({ depth: 0, dropped: 0 });
  });

  it('keeps retrying an unreachable broker with growing, capped, jittered delays', async () => {
    const closedPort = await freePort();
    const session = harness.session({
      ...sessionOptions('gw-1', await harness.outbox()),
      url: `mqtt://127.0.0.1:${closedPort}`,
    });
    const retries: { attempt: number; delayMs: number; reason: string }[] = [];
    const sixth = new Promise<void>((resolve) => {
      session.on('retry_scheduled', (retry) => {
        retries.push(retry);
        if (retries.length === 6) resolve();
      });
    });
    session.start();
    await sixth;
    expect(retries.map((r) => r.attempt)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(retries.every((r) => r.reason === 'failure')).toBe(true);
    retries.forEach((r, i) => {
      expect(r.delayMs).toBeLessThanOrEqual(Math.min(400, 50 * 2 ** i));
    });
    expect(session.stats()).toMatchObject({ connects: 0, refusals: 0 });
  });

  it('reports a refused connect once revoked and backs off hard instead of retrying at once', async () => {
    const session = harness.session(sessionOptions('gw-4', await harness.outbox()));
    const connected = once(session, 'connected');
    session.start();
    await connected;
    const refused = once<{ code: number; reason: string; retryInMs: number }>(session, 'refused');
    auth.revoke('gw-4');
    await broker.disconnect('gw-4');
    const refusal = await refused;
    expect(refusal).toMatchObject({ code: 4, reason: 'bad_credentials' });
    expect(refusal.retryInMs).toBeGreaterThanOrEqual(30_000);
    expect(session.stats()).toMatchObject({ state: 'waiting', refusals: 1 });
  });
});

describe('gateway session against Mosquitto', () => {
  const collector = new UplinkCollector();
  const harness = new Harness();
  let mosquitto: MosquittoProcess;
  let bus: MqttBusAdapter;
  let dynsec: MosquittoDynsecAdapter;

  beforeAll(async () => {
    mosquitto = await MosquittoProcess.start();
    dynsec = new MosquittoDynsecAdapter({ url: mosquitto.url, ...mosquitto.controlPlane });
    await dynsec.start();
    await dynsec.provisionGateway('gw-m', 'pw-gw-m');
    bus = new MqttBusAdapter(
      {
        url: mosquitto.url,
        ...mosquitto.controlPlane,
        clientId: 'cp-mosquitto',
        reconnectPeriodMs: 100,
      },
      collector.handler,
    );
    await bus.start();
  });
  afterAll(async () => {
    await harness.cleanup();
    await bus.stop();
    await dynsec.stop();
    await mosquitto.stop();
  });

  it('delivers every batch in order across a broker restart, the bus catching up from its persistent session', async () => {
    const outbox = await harness.outbox();
    const session = harness.session({
      url: mosquitto.url,
      gatewayId: 'gw-m',
      password: 'pw-gw-m',
      agentVersion: '1.0.0',
      firmwareVersion: '1.0.0',
      bootId: 'boot-m',
      outbox,
      onDownlink: () => undefined,
      backoff: FAST_BACKOFF,
      keepaliveSeconds: 5,
    });
    const connected = once(session, 'connected');
    session.start();
    await connected;
    for (let n = 0; n < 10; n++) await session.publish(batch(n));
    await collector.waitFor(() => collector.batchSeqs('gw-m').length >= 10, 'the first batches');

    await mosquitto.kill();
    for (let n = 10; n < 60; n++) await session.publish(batch(n));
    await mosquitto.restart();

    await collector.waitFor(
      () => new Set(collector.batchSeqs('gw-m')).size >= 60,
      'all 60 batches',
    );
    expect(firstArrivals(collector.batchSeqs('gw-m'))).toEqual(
      Array.from({ length: 60 }, (_, i) => i),
    );
  });
});
