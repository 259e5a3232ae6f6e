import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  decodeUplink,
  encodeDownlink,
  type DecodedUplink,
  type DownlinkMessage,
  type EncodedMessage,
  type GatewayConfigMessage,
  type UplinkChannel,
  type UplinkMessageMap,
} from '@fleet/contracts';
import { defaultProfilesDir } from '@fleet/profiles';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FleetStats } from './fleet-stats.js';
import type { GatewayLink, LinkConnector, LinkEvents, LinkOptions } from './gateway-link.port.js';
import { ProfileCache } from './profile-cache.js';
import { SimGateway, type SimGatewaySettings } from './sim-gateway.js';
import { silentSimLogger } from './sim-logger.js';

const GW = 'gw-0001';

/** A broker stand-in: records what the gateway publishes and hands it downlinks. */
class FakeBroker {
  readonly published: { connection: number; message: EncodedMessage }[] = [];
  readonly options: LinkOptions[] = [];
  events: LinkEvents | undefined;
  connection = 0;
  link: (GatewayLink & { alive: boolean }) | undefined;

  readonly connector: LinkConnector = (options, events) => {
    this.options.push(options);
    this.events = events;
    const connection = ++this.connection;
    const link = {
      alive: true,
      get connected() {
        return this.alive;
      },
      publish: (message: EncodedMessage) => {
        if (!link.alive) return Promise.reject(new Error('closed'));
        this.published.push({ connection, message });
        return Promise.resolve();
      },
      end: () => {
        link.alive = false;
        return Promise.resolve();
      },
    };
    this.link = link;
    return Promise.resolve(link);
  };

  deliver(message: DownlinkMessage): void {
    const encoded = encodeDownlink(GW, message);
    this.events?.onMessage(encoded.topic, encoded.payload);
  }

  uplinks(): DecodedUplink[] {
    return this.published.map(({ message }) => {
      const decoded = decodeUplink(message.topic, message.payload);
      if (!decoded.ok) throw new Error(decoded.rejection.detail);
      return decoded;
    });
  }

  of<C extends UplinkChannel>(channel: C): UplinkMessageMap[C][] {
    return this.uplinks()
      .filter((u) => u.channel === channel)
      .map((u) => u.message as UplinkMessageMap[C]);
  }
}

const settings: SimGatewaySettings = {
  model: 'rpi4',
  hardwareRevision: '1.4',
  firmwareVersion: '1.0.0',
  agentVersion: '0.1.0-sim',
  heartbeatMs: 60_000,
  batchMs: 20,
  pollScale: 1,
  readingHeartbeatMs: 300_000,
  faults: { timeout: 0, exception: 0, dropoutPerHour: 0 },
  faultLength: 3,
  dropoutMs: { min: 10, max: 10 },
  ota: { downloadMs: 10, installMs: 10, rebootMs: 10, verifyMs: 10, failRate: 0, rollbackRate: 0 },
};

let streetlightSource: string;
let gateway: SimGateway | undefined;

beforeAll(async () => {
  streetlightSource = await readFile(
    join(defaultProfilesDir(), 'streetlight-controller.yaml'),
    'utf8',
  );
});

afterEach(async () => {
  await gateway?.stop();
  gateway = undefined;
});

function start(
  broker: FakeBroker,
  stats = new FleetStats(),
  over: Partial<SimGatewaySettings> = {},
): SimGateway {
  gateway = new SimGateway(
    {
      serialNumber: 'SIM-0001',
      gatewayId: GW,
      siteId: 'dn-haichau',
      mqtt: {
        url: 'mqtt://127.0.0.1:1884',
        username: GW,
        password: 'secret-secret-secret',
        clientId: GW,
      },
      devices: {},
    },
    { ...settings, ...over },
    {
      connector: broker.connector,
      profiles: new ProfileCache(),
      trustedKeys: [],
      stats,
      logger: silentSimLogger,
      random: () => 0,
      isDark: () => true,
    },
  );
  gateway.start();
  return gateway;
}

function config(version: number, source = streetlightSource): GatewayConfigMessage {
  return {
    v: 1,
    type: 'config',
    version,
    issuedAt: Date.now(),
    devices: [
      {
        id: 'light-1',
        name: 'Street light 1',
        profileId: 'streetlight-controller',
        connection: {
          kind: 'modbus-rtu',
          path: '/dev/ttyUSB0',
          baudRate: 9600,
          parity: 'even',
          unitId: 1,
        },
        tags: [],
      },
    ],
    profiles: [{ id: 'streetlight-controller', version: '1.0.0', source }],
  };
}

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('SimGateway', () => {
  it('connects with a retained offline will, announces itself online and sends a heartbeat', async () => {
    const broker = new FakeBroker();
    const g = start(broker);
    await g.whenConnected(1_000);
    const { will, url, clientId, subscriptions } = broker.options[0]!;
    expect({ url, clientId }).toEqual({ url: 'mqtt://127.0.0.1:1884', clientId: GW });
    expect(subscriptions).toContain(`fleet/v1/gw/${GW}/cmd`);
    expect(will.retain).toBe(true);
    const willStatus = decodeUplink(will.topic, will.payload);
    expect(willStatus.ok && willStatus.message).toMatchObject({
      state: 'offline',
      reason: 'connection_lost',
      seq: 1,
    });
    await until(() => broker.of('heartbeat').length === 1, 'a heartbeat');
    const [online] = broker.of('status');
    expect(online).toMatchObject({ state: 'online', seq: 0, firmwareVersion: '1.0.0' });
    expect(broker.published[0]?.message.retain).toBe(true);
  });

  it('applies a configuration once, confirms it on redelivery, and refuses older or broken ones', async () => {
    const broker = new FakeBroker();
    const g = start(broker);
    await g.whenConnected(1_000);
    broker.deliver(config(3));
    await until(() => broker.of('config/ack').length === 1, 'the config ack');
    const device = g.device('light-1');
    expect(device?.profile.id).toBe('streetlight-controller');
    broker.deliver(config(3));
    broker.deliver(config(2));
    broker.deliver(config(4, 'id: streetlight-controller\npoints: [not a map]\n'));
    await until(() => broker.of('config/ack').length === 4, 'four acks');
    const acks = broker.of('config/ack');
    expect(acks.map((a) => [a.configVersion, a.status])).toEqual([
      [3, 'applied'],
      [3, 'applied'],
      [2, 'rejected'],
      [4, 'rejected'],
    ]);
    expect(acks[2]?.reason).toBe('configuration 2 is older than the running 3');
    expect(acks[3]?.issues?.[0]?.path).toBe('profiles[0]');
    expect(g.appliedConfigVersion).toBe(3);
    expect(g.device('light-1')).toBe(device);
  });

  it('acknowledges a command batch, runs each execution once and reports the results, also on redelivery', async () => {
    const broker = new FakeBroker();
    const stats = new FleetStats();
    const g = start(broker, stats);
    await g.whenConnected(1_000);
    broker.deliver(config(1));
    const batch: DownlinkMessage = {
      v: 1,
      type: 'cmd',
      executions: [
        {
          executionId: 'e1',
          commandId: 'c1',
          deviceId: 'light-1',
          command: 'setDim',
          params: { level: 30 },
          priority: 50,
          expiresAt: Date.now() + 60_000,
        },
        {
          executionId: 'e2',
          commandId: 'c1',
          deviceId: 'nope',
          command: 'setDim',
          params: { level: 30 },
          priority: 50,
          expiresAt: Date.now() + 60_000,
        },
      ],
    };
    broker.deliver(batch);
    broker.deliver(batch);
    await until(
      () => broker.of('cmd/result').flatMap((m) => m.results).length === 2,
      'two results',
    );
    await new Promise((r) => setTimeout(r, 150));
    expect(broker.of('cmd/ack').map((a) => a.executionIds)).toEqual([
      ['e1', 'e2'],
      ['e1', 'e2'],
    ]);
    const results = broker.of('cmd/result').flatMap((m) => m.results);
    expect(results.map((r) => [r.executionId, r.outcome, r.error?.code])).toEqual([
      ['e1', 'succeeded', undefined],
      ['e2', 'failed', 'UNKNOWN_DEVICE'],
    ]);
    expect(stats.commandsDuplicate).toBe(2);
    // The dimmed level reaches telemetry.
    await until(
      () =>
        broker
          .of('telemetry')
          .some((t) => t.readings.some((r) => r.point === 'dim_level' && r.value === 30)),
      'the new dim level in telemetry',
    );
  });

  it('keeps telemetry while dropped off and delivers it in order after coming back', async () => {
    const broker = new FakeBroker();
    // Polls every 60 ms, so batches pile up while the gateway is away.
    const g = start(broker, new FleetStats(), { pollScale: 0.002, readingHeartbeatMs: 1_000 });
    await g.whenConnected(1_000);
    broker.deliver(config(1));
    await until(() => broker.of('telemetry').length > 0, 'telemetry');
    g.dropOff(300);
    const before = broker.published.length;
    await new Promise((r) => setTimeout(r, 150));
    expect(broker.published.length).toBe(before);
    await until(() => broker.connection === 2 && g.isConnected, 'the reconnection');
    await until(
      () =>
        broker.published.filter((p) => p.connection === 2 && p.message.channel === 'telemetry')
          .length >= 3,
      'the batches taken while away',
    );
    const seqs = broker.of('telemetry').map((t) => t.batchSeq);
    expect(seqs).toEqual(seqs.map((_, i) => i));
    const statuses = broker.of('status').map((s) => [s.state, s.seq]);
    expect(statuses).toEqual([
      ['online', 0],
      ['online', 2],
    ]);
  });

  it('restarts into the new firmware during an OTA and reports success with it running', async () => {
    const broker = new FakeBroker();
    const g = start(broker);
    await g.whenConnected(1_000);
    broker.deliver({
      v: 1,
      type: 'ota',
      action: 'install',
      deploymentId: 'dep-9',
      manifest: {
        manifest: {
          version: '1.2.0',
          kind: 'agent-bundle',
          models: ['rpi4'],
          sha256: 'b'.repeat(64),
          size: 10,
          releaseNotes: '',
          createdAt: '2026-11-01T00:00:00.000Z',
        },
        signature: { alg: 'ed25519', keyId: '0123456789abcdef', value: 'c2ln' },
      },
      downloadUrl: 'http://127.0.0.1/fw',
      token: 't',
      tokenExpiresAt: Date.now() + 60_000,
      timeouts: { downloadMs: 60_000, installMs: 60_000, verifyMs: 60_000 },
    });
    await until(
      () => broker.of('ota/status').some((s) => s.phase === 'succeeded'),
      'the OTA outcome',
    );
    const statuses = broker.of('status');
    expect(statuses.map((s) => [s.state, s.reason ?? '', s.firmwareVersion])).toEqual([
      ['online', '', '1.0.0'],
      ['offline', 'shutdown', '1.0.0'],
      ['online', '', '1.2.0'],
    ]);
    expect(statuses[2]?.bootId).not.toBe(statuses[0]?.bootId);
    expect(broker.of('ota/status').at(-1)).toMatchObject({
      phase: 'succeeded',
      runningVersion: '1.2.0',
    });
    expect(g.firmwareVersion).toBe('1.2.0');
  });
});
