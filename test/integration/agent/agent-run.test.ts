// The built agent as a real process against the embedded broker and a pymodbus meter: config,
// telemetry, a rejected config, a broker outage with buffering, a restart without a broker, SIGTERM.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '@fleet/common';
import {
  decodeUplink,
  gatewayTopic,
  type ConfigAckMessage,
  type GatewayConfigMessage,
  type HeartbeatMessage,
  type StatusMessage,
  type TelemetryMessage,
} from '@fleet/contracts';
import { encodePoint, loadProfileCatalog, type DeviceProfile } from '@fleet/profiles';
import { EmbeddedBrokerAdapter } from '../../../apps/control-plane/src/mqtt/embedded-broker.adapter.js';
import { MqttBusAdapter } from '../../../apps/control-plane/src/mqtt/mqtt-bus.adapter.js';
import type { AgentStatus } from '../../../apps/gateway-agent/src/status/agent-status.js';
import { ensureAgentBuilt } from '../../support/agent/agent-build.js';
import { AgentProcess, killAllAgents, runAgentCli } from '../../support/agent/agent-process.js';
import { writeIdentity } from '../../support/agent/identity-fixture.js';
import {
  startTcpPeer,
  stopAllPeers,
  type ModbusPeer,
} from '../../support/modbus-peer/modbus-peer.js';
import { unitFromProfile } from '../../support/modbus-peer/profile-seed.js';
import { InMemoryGatewayAuthenticator } from '../../support/mqtt/in-memory-gateway-authenticator.js';
import { connectClient, endAll } from '../../support/mqtt/mqtt-test-client.js';
import { UplinkCollector } from '../../support/mqtt/uplink-collector.js';

const GW = 'gw-agent-it-1';
const PASSWORD = 'agent-integration-password';
const SERVICE = { username: 'control-plane', password: 'service-secret-for-tests' };
const UNIT = 1;
const METER = {
  voltage_l1: 230.1,
  voltage_l2: 229.4,
  voltage_l3: 231.7,
  current_l1: 5.25,
  frequency: 50.02,
  import_energy: 12345.5,
};
const AGENT_ENV = {
  GATEWAY_AGENT_LOG_LEVEL: 'debug',
  GATEWAY_AGENT_TELEMETRY_BATCH_INTERVAL_MS: '200',
  GATEWAY_AGENT_STATUS_INTERVAL_MS: '200',
  GATEWAY_AGENT_HEARTBEAT_INTERVAL_MS: '1000',
  // Values are reported on change only in this test: a full report once an hour.
  GATEWAY_AGENT_READING_HEARTBEAT_MS: '3600000',
  GATEWAY_AGENT_RECONNECT_INITIAL_MS: '100',
  GATEWAY_AGENT_RECONNECT_MAX_MS: '400',
  GATEWAY_AGENT_OUTBOX_FSYNC: 'false',
};

/** First arrival of each value, in arrival order: at-least-once may repeat, never reorder or lose. */
function firstArrivals(values: readonly number[]): number[] {
  const seen = new Set<number>();
  return values.filter((v) => !seen.has(v) && seen.add(v));
}

function close(a: unknown, b: number): boolean {
  return typeof a === 'number' && Math.abs(a - b) < 0.01;
}

describe('gateway-agent run against the embedded broker and a pymodbus meter', () => {
  const auth = new InMemoryGatewayAuthenticator();
  const collector = new UplinkCollector();
  let broker: EmbeddedBrokerAdapter | undefined;
  let bus: MqttBusAdapter | undefined;
  let port = 0;
  let peer: ModbusPeer;
  let meter: DeviceProfile;
  let fastSource: string;
  let stateDir: string;
  let agent: AgentProcess | undefined;

  const startBroker = async (): Promise<void> => {
    // Gateways wait until the control plane's own client has subscribed, as at a real start.
    broker = new EmbeddedBrokerAdapter(
      { host: '127.0.0.1', port, serviceAccount: SERVICE, acceptGateways: false },
      auth,
    );
    port = (await broker.start()).port;
    bus = new MqttBusAdapter(
      { url: broker.url, ...SERVICE, clientId: 'cp-agent-it', reconnectPeriodMs: 100 },
      collector.handler,
    );
    await bus.start();
    broker.setAcceptingGateways(true);
  };
  const stopBroker = async (): Promise<void> => {
    await bus?.stop();
    await broker?.stop();
    bus = undefined;
    broker = undefined;
  };

  const telemetry = (bootId?: string): TelemetryMessage[] =>
    collector.messages.flatMap((m) =>
      m.gatewayId === GW &&
      m.channel === 'telemetry' &&
      (bootId === undefined || m.message.bootId === bootId)
        ? [m.message]
        : [],
    );
  const values = (point: string, bootId?: string): number[] =>
    telemetry(bootId).flatMap((t) =>
      t.readings.flatMap((r) =>
        r.point === point && typeof r.value === 'number' ? [r.value] : [],
      ),
    );
  const acks = (): ConfigAckMessage[] =>
    collector.messages.flatMap((m) =>
      m.gatewayId === GW && m.channel === 'config/ack' ? [m.message] : [],
    );
  const heartbeats = (): HeartbeatMessage[] =>
    collector.messages.flatMap((m) =>
      m.gatewayId === GW && m.channel === 'heartbeat' ? [m.message] : [],
    );

  const statusFile = (): AgentStatus | undefined => {
    try {
      return JSON.parse(readFileSync(join(stateDir, 'status.json'), 'utf8')) as AgentStatus;
    } catch {
      return undefined;
    }
  };
  const waitForStatus = async (
    check: (s: AgentStatus) => boolean,
    what: string,
    timeoutMs = 15_000,
  ): Promise<AgentStatus> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const s = statusFile();
      if (s && check(s)) return s;
      if (Date.now() > deadline)
        throw new Error(
          `timed out waiting for status: ${what}; last: ${JSON.stringify(s)}\n${agent?.output().slice(-4000) ?? ''}`,
        );
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const statusCli = async (): Promise<{
    code: number | null;
    json: { running: boolean; reason?: string; status: AgentStatus | null };
  }> => {
    const run = await runAgentCli(['status', '--json', '--state-dir', stateDir]);
    return {
      code: run.code,
      json: JSON.parse(run.stdout) as { running: boolean; status: AgentStatus | null },
    };
  };

  const setVoltage = async (value: number): Promise<void> => {
    const point = meter.points.find((p) => p.name === 'voltage_l1')!;
    await peer.set(UNIT, 'input', point.address!, encodePoint(point, value));
  };

  const config = (version: number, source: string): GatewayConfigMessage => ({
    v: 1,
    type: 'config',
    version,
    issuedAt: Date.now(),
    devices: [
      {
        id: 'meter-1',
        name: 'Cabinet energy meter',
        profileId: 'eastron-sdm630',
        connection: { kind: 'modbus-tcp', host: '127.0.0.1', port: peer.port, unitId: UNIT },
        tags: ['energy'],
      },
    ],
    profiles: [{ id: 'eastron-sdm630', version: meter.version, source }],
  });

  /** The retained status of the gateway, as a fresh subscriber sees it. */
  const retainedStatus = async (): Promise<StatusMessage> => {
    const client = await connectClient(broker!.url, {
      ...SERVICE,
      clientId: `cp-peek-${Date.now()}`,
      clean: true,
    });
    try {
      const topic = gatewayTopic(GW, 'status');
      const message = new Promise<StatusMessage>((resolve, reject) => {
        const timer = setTimeout(() => {
          reject(new Error('no retained status'));
        }, 5_000);
        client.on('message', (t, payload) => {
          const decoded = decodeUplink(t, payload);
          if (decoded.ok && decoded.channel === 'status') {
            clearTimeout(timer);
            resolve(decoded.message);
          }
        });
      });
      await client.subscribeAsync(topic, { qos: 1 });
      return await message;
    } finally {
      await endAll([client]);
    }
  };

  beforeAll(async () => {
    ensureAgentBuilt();
    meter = (await loadProfileCatalog()).get('eastron-sdm630');
    // The shipped profile polls every 10 s; the test polls faster through the same YAML.
    fastSource = readFileSync(join(packageRoot(), 'device-profiles/eastron-sdm630.yaml'), 'utf8')
      .replace(/realtime: \{ periodMs: \d+/, 'realtime: { periodMs: 250')
      .replace(/energy: \{ periodMs: \d+/, 'energy: { periodMs: 400')
      .replace(/settings: \{ periodMs: \d+/, 'settings: { periodMs: 600')
      // The meter's 50 ms pause between requests would saturate the bus at these periods.
      .replace('interFrameDelayMs: 50', 'interFrameDelayMs: 5');
    expect(fastSource).toContain('periodMs: 250');
    peer = await startTcpPeer({ units: { [UNIT]: unitFromProfile(meter, METER) } });
    auth.add(GW, PASSWORD);
    await startBroker();
    stateDir = mkdtempSync(join(tmpdir(), 'agent-run-'));
    writeIdentity(stateDir, {
      gatewayId: GW,
      password: PASSWORD,
      brokerUrl: `mqtt://127.0.0.1:${port}`,
    });
  });

  afterAll(async () => {
    await killAllAgents();
    await stopBroker().catch(() => undefined);
    await stopAllPeers();
    if (stateDir) rmSync(stateDir, { recursive: true, force: true });
  });

  it('applies a retained config and reports the decoded values the meter holds', async () => {
    await bus!.publishDownlink(GW, config(1, fastSource));
    agent = AgentProcess.start(stateDir, AGENT_ENV);
    await collector.waitFor(() => acks().some((a) => a.configVersion === 1), 'config/ack v1');
    expect(acks().find((a) => a.configVersion === 1)).toMatchObject({ status: 'applied' });
    await collector.waitFor(
      () =>
        ['voltage_l1', 'current_l1', 'frequency', 'import_energy'].every(
          (p) => values(p).length > 0,
        ),
      'telemetry with the meter values',
    );
    expect(values('voltage_l1')[0]).toBeCloseTo(METER.voltage_l1, 3);
    expect(values('voltage_l3')[0]).toBeCloseTo(METER.voltage_l3, 3);
    expect(values('current_l1')[0]).toBeCloseTo(METER.current_l1, 4);
    expect(values('frequency')[0]).toBeCloseTo(METER.frequency, 3);
    expect(values('import_energy')[0]).toBeCloseTo(METER.import_energy, 1);
    const reading = telemetry()[0].readings[0];
    expect(reading.deviceId).toBe('meter-1');

    await collector.waitFor(
      () => heartbeats().some((h) => h.configVersion === 1 && h.devices.healthy === 1),
      'a heartbeat with config 1 and a healthy device',
    );
    const beat = heartbeats().find((h) => h.configVersion === 1 && h.devices.healthy === 1)!;
    expect(beat.buses).toEqual([
      expect.objectContaining({ id: `tcp:127.0.0.1:${peer.port}`, state: 'ok' }),
    ]);
    expect(beat.devices).toEqual({ total: 1, healthy: 1, unhealthy: 0 });

    const { code, json } = await statusCli();
    expect(code).toBe(0);
    expect(json.running).toBe(true);
    expect(json.status).toMatchObject({
      gatewayId: GW,
      connection: { connected: true, brokerUrl: `mqtt://127.0.0.1:${port}` },
      config: { version: 1, devices: 1, source: 'received' },
      buses: [
        { id: `tcp:127.0.0.1:${peer.port}`, kind: 'modbus-tcp', state: 'ok', devices: ['meter-1'] },
      ],
      devices: [{ id: 'meter-1', health: 'ok', polling: true, address: `unit ${UNIT}` }],
    });
    expect(json.status!.buses[0].transactions).toBeGreaterThan(0);
    const human = await runAgentCli(['status', '--state-dir', stateDir]);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/gateway-agent: running/);
    expect(human.stdout).toMatch(/connected since/);
    expect(human.stdout).toMatch(/meter-1\s+eastron-sdm630\s+tcp:127\.0\.0\.1:\d+\s+unit 1\s+ok/);
  });

  it('answers control resync and reconnect, and runs a command batch sent after reconnecting', async () => {
    const confirmations = acks().filter((a) => a.configVersion === 1).length;
    await bus!.publishDownlink(GW, { v: 1, type: 'control', action: 'resync', ts: Date.now() });
    await collector.waitFor(
      () => acks().filter((a) => a.configVersion === 1).length > confirmations,
      'config/ack sent again on resync',
    );
    const connects = statusFile()!.connection.connects;
    await bus!.publishDownlink(GW, {
      v: 1,
      type: 'control',
      action: 'reconnect',
      spreadMs: 0,
      ts: Date.now(),
    });
    await waitForStatus(
      (s) => s.connection.connected && s.connection.connects > connects,
      'reconnected on request',
    );
    await bus!.publishDownlink(GW, {
      v: 1,
      type: 'cmd',
      executions: [
        {
          executionId: 'exec-1',
          commandId: 'cmd-1',
          deviceId: 'meter-1',
          command: 'setDemandPeriod',
          params: { minutes: 15 },
          priority: 50,
          expiresAt: Date.now() + 60_000,
        },
      ],
    });
    await collector.waitFor(
      () =>
        collector.messages.some(
          (m) =>
            m.gatewayId === GW &&
            m.channel === 'cmd/ack' &&
            (m.message as { executionIds: string[] }).executionIds.includes('exec-1'),
        ),
      'cmd/ack for exec-1',
    );
    await collector.waitFor(
      () =>
        collector.messages.some(
          (m) =>
            m.gatewayId === GW &&
            m.channel === 'cmd/result' &&
            (m.message as { results: { executionId: string }[] }).results.some(
              (r) => r.executionId === 'exec-1',
            ),
        ),
      'cmd/result for exec-1',
    );
    // The reconnect subscribed again, so the retained config came again too (and was confirmed).
    const counted = await waitForStatus(
      (s) => s.downlinks.handled.cmd === 1 && s.downlinks.handled.config === 2,
      'cmd handled, retained config handled again',
    );
    expect(counted.downlinks.unsupported.cmd).toBe(0);
    expect(counted.config.version).toBe(1);
  });

  it('reports a changed register as a change', async () => {
    await setVoltage(231.9);
    await collector.waitFor(
      () => values('voltage_l1').some((v) => close(v, 231.9)),
      'voltage 231.9',
    );
  });

  it('rejects a config with a broken profile and keeps polling on the previous one', async () => {
    const broken = fastSource.replace('maxRegistersPerRead: 80', 'maxRegistersPerRead: 500');
    expect(broken).not.toBe(fastSource);
    await bus!.publishDownlink(GW, config(2, broken));
    await collector.waitFor(() => acks().some((a) => a.configVersion === 2), 'config/ack v2');
    const ack = acks().find((a) => a.configVersion === 2)!;
    expect(ack.status).toBe('rejected');
    expect(ack.reason).toMatch(/configuration 2 rejected/);
    expect(ack.issues).toEqual([
      expect.objectContaining({
        path: 'profiles[0].source',
        message: expect.stringMatching(/maxRegistersPerRead/),
      }),
    ]);
    // Beyond the profile's 0.5 V deadband, so it is reported as a change.
    await setVoltage(232.9);
    await collector.waitFor(
      () => values('voltage_l1').some((v) => close(v, 232.9)),
      'voltage 232.9 on config 1',
    );
    const { json } = await statusCli();
    expect(json.status!.config).toMatchObject({ version: 1, lastRejected: { version: 2 } });
  });

  it('keeps polling while the broker is down and delivers every buffered batch in order afterwards', async () => {
    const boot = telemetry()[0].bootId;
    // Quiet first: values are steady, so no batch is in flight when the broker goes.
    await new Promise((r) => setTimeout(r, 1_500));
    const before = await waitForStatus((s) => s.outbox.depth === 0, 'outbox drained');
    expect(before.connection.connected).toBe(true);
    await stopBroker();
    await waitForStatus((s) => !s.connection.connected, 'disconnected');

    const outage = [233.5, 234.5, 235.5, 236.5];
    for (const v of outage) {
      const published = statusFile()!.telemetry.batchesPublished;
      await setVoltage(v);
      await waitForStatus(
        (s) => s.telemetry.batchesPublished > published,
        `batch with ${v} buffered`,
      );
    }
    const buffered = await waitForStatus(
      (s) => s.outbox.depth >= outage.length,
      'batches in the outbox',
    );
    expect(buffered.connection.connected).toBe(false);
    expect(buffered.devices[0].health).toBe('ok');
    const { code, json } = await statusCli();
    expect(code).toBe(0);
    expect(json.status!.connection.connected).toBe(false);
    expect(json.status!.outbox.depth).toBeGreaterThanOrEqual(outage.length);
    const human = await runAgentCli(['status', '--state-dir', stateDir]);
    expect(human.stdout).toMatch(/not connected, retrying/);
    expect(human.stdout).toMatch(/outbox\s+\d+ waiting/);

    await startBroker();
    await collector.waitFor(
      () => outage.every((v) => values('voltage_l1', boot).some((x) => close(x, v))),
      'every value measured during the outage',
      30_000,
    );
    await waitForStatus(
      (s) => s.outbox.depth === 0 && s.connection.connected,
      'outbox drained after reconnect',
    );
    const seqs = firstArrivals(telemetry(boot).map((t) => t.batchSeq));
    const max = Math.max(...seqs);
    expect(seqs).toEqual(Array.from({ length: max + 1 }, (_, i) => i));
    // ...and that is every batch this boot has made.
    expect(statusFile()!.telemetry.nextBatchSeq).toBe(max + 1);
    const firstSeen = new Map<number, TelemetryMessage>();
    for (const t of telemetry(boot)) if (!firstSeen.has(t.batchSeq)) firstSeen.set(t.batchSeq, t);
    // Groups poll concurrently, so only each point's own readings are ordered in time.
    const stampsByPoint = new Map<string, number[]>();
    for (const t of firstSeen.values()) {
      for (const r of t.readings) {
        const key = `${r.deviceId}/${r.point}`;
        stampsByPoint.set(key, [...(stampsByPoint.get(key) ?? []), r.ts]);
      }
    }
    for (const stamps of stampsByPoint.values()) {
      expect(stamps).toEqual([...stamps].sort((a, b) => a - b));
    }
    const voltages = firstArrivals(values('voltage_l1', boot).map((v) => Math.round(v * 10) / 10));
    expect(voltages.slice(-outage.length)).toEqual(outage);
  });

  it('stops on SIGTERM with a retained offline status, then restarts without a broker and polls from the stored config', async () => {
    const firstBoot = telemetry()[0].bootId;
    const exit = await agent!.stop('SIGTERM');
    expect(exit).toEqual({ code: 0, signal: null });
    const offline = await retainedStatus();
    expect(offline).toMatchObject({ state: 'offline', reason: 'shutdown', bootId: firstBoot });
    const stopped = await statusCli();
    expect(stopped.code).toBe(3);
    expect(stopped.json).toMatchObject({ running: false, reason: 'stopped' });

    await stopBroker();
    await setVoltage(237.5);
    agent = AgentProcess.start(stateDir, AGENT_ENV);
    const restarted = await waitForStatus(
      (s) => s.pid === agent!.pid && s.telemetry.batchesPublished > 0 && s.outbox.depth > 0,
      'the restarted agent polling into its outbox',
    );
    expect(restarted.connection.connected).toBe(false);
    expect(restarted.config).toMatchObject({ version: 1, source: 'stored' });
    expect(restarted.devices).toEqual([
      expect.objectContaining({ id: 'meter-1', health: 'ok', polling: true }),
    ]);
    const { code, json } = await statusCli();
    expect(code).toBe(0);
    expect(json.running).toBe(true);

    await startBroker();
    const secondBoot = restarted.bootId;
    expect(secondBoot).not.toBe(firstBoot);
    await collector.waitFor(
      () => values('voltage_l1', secondBoot).some((v) => close(v, 237.5)),
      'the value read before the broker came back',
      30_000,
    );
    // A fresh broker lost the retained config; the control plane publishes it again: confirmed,
    // nothing rebuilt.
    const confirmations = acks().filter((a) => a.configVersion === 1).length;
    await bus!.publishDownlink(GW, config(1, fastSource));
    await collector.waitFor(
      () => acks().filter((a) => a.configVersion === 1).length > confirmations,
      'config 1 confirmed again',
    );
    expect(acks().at(-1)).toMatchObject({ configVersion: 1, status: 'applied' });
    expect(agent.lines.filter((l) => l.msg === 'runtime applied')).toHaveLength(1);
  });

  it('exits 0 on SIGTERM and leaves status saying it is not running', async () => {
    const boot = statusFile()!.bootId;
    const exit = await agent!.stop('SIGTERM');
    expect(exit).toEqual({ code: 0, signal: null });
    expect(await retainedStatus()).toMatchObject({
      state: 'offline',
      reason: 'shutdown',
      bootId: boot,
    });
    const human = await runAgentCli(['status', '--state-dir', stateDir]);
    expect(human.code).toBe(3);
    expect(human.stdout).toMatch(/NOT RUNNING \(the agent stopped at/);
    expect(agent!.lines.some((l) => l.msg === 'agent stopped')).toBe(true);
  });
});
