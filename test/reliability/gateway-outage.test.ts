// The control plane unreachable for an hour of simulated time: real gateway-agent processes keep
// polling into their disk outbox (within its bound: the oldest batches dropped and counted when it
// is full) and deliver what they kept, in order, once the link is back.
//
// Simulated time: an hour at the agent's default 5 s batch interval is 720 batches. The agents here
// batch every 100 ms and poll a device whose value changes on every read, so each 100 ms makes a
// batch and the hour passes in 72 s at best (50x compressed; under load it takes longer). The link is cut with a TCP proxy in
// front of the embedded broker, as a dead cellular link would look to the gateway.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayConfigMessage, TelemetryMessage } from '@fleet/contracts';
import { EmbeddedBrokerAdapter } from '../../apps/control-plane/src/mqtt/embedded-broker.adapter.js';
import { MqttBusAdapter } from '../../apps/control-plane/src/mqtt/mqtt-bus.adapter.js';
import type { AgentStatus } from '../../apps/gateway-agent/src/status/agent-status.js';
import { ensureAgentBuilt } from '../support/agent/agent-build.js';
import { AgentProcess, killAllAgents } from '../support/agent/agent-process.js';
import { writeIdentity } from '../support/agent/identity-fixture.js';
import { InMemoryGatewayAuthenticator } from '../support/mqtt/in-memory-gateway-authenticator.js';
import { UplinkCollector } from '../support/mqtt/uplink-collector.js';
import { recordScenario } from '../support/reliability-report.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import {
  COUNTER_PROFILE_ID,
  CounterDevice,
  counterProfileSource,
} from './support/gateway-counter-device.js';

const SERVICE = { username: 'control-plane', password: 'service-secret-for-outage' };
/** An hour of batches at the default 5 s batch interval. */
const HOUR_OF_BATCHES = 720;
const SMALL_BOUND = 250;
const BASE_ENV = {
  GATEWAY_AGENT_TELEMETRY_BATCH_INTERVAL_MS: '100',
  GATEWAY_AGENT_STATUS_INTERVAL_MS: '200',
  GATEWAY_AGENT_HEARTBEAT_INTERVAL_MS: '60000',
  GATEWAY_AGENT_RECONNECT_INITIAL_MS: '200',
  GATEWAY_AGENT_RECONNECT_MAX_MS: '1000',
  GATEWAY_AGENT_OUTBOX_FSYNC: 'false',
};

interface Gateway {
  id: string;
  unit: number;
  env: Record<string, string>;
  stateDir: string;
  agent?: AgentProcess;
}

function readStatus(gw: Gateway): AgentStatus | undefined {
  try {
    return JSON.parse(readFileSync(join(gw.stateDir, 'status.json'), 'utf8')) as AgentStatus;
  } catch {
    return undefined;
  }
}

async function waitForStatus(
  gw: Gateway,
  check: (s: AgentStatus) => boolean,
  what: string,
  timeoutMs = 30_000,
): Promise<AgentStatus> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = readStatus(gw);
    if (s && s.pid === gw.agent?.pid && check(s)) return s;
    if (Date.now() > deadline) {
      throw new Error(
        `${gw.id}: timed out waiting for ${what}; last status: ${JSON.stringify(s?.outbox)} ${JSON.stringify(s?.telemetry)}\n${gw.agent?.output().slice(-3000) ?? ''}`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('control plane unreachable for an hour of simulated time', () => {
  const auth = new InMemoryGatewayAuthenticator();
  const collector = new UplinkCollector();
  let broker: EmbeddedBrokerAdapter;
  let bus: MqttBusAdapter;
  let proxy: TcpProxy;
  let device: CounterDevice;
  const gateways: Gateway[] = [
    // The default outbox bound holds far more than an hour.
    { id: 'gw-outage-roomy', unit: 1, env: {}, stateDir: '' },
    // A bound smaller than the hour: the oldest batches make room for the newest.
    {
      id: 'gw-outage-tight',
      unit: 2,
      env: { GATEWAY_AGENT_OUTBOX_MAX_MESSAGES: String(SMALL_BOUND) },
      stateDir: '',
    },
  ];

  const telemetry = (gw: Gateway, bootId: string): TelemetryMessage[] =>
    collector.messages.flatMap((m) =>
      m.gatewayId === gw.id && m.channel === 'telemetry' && m.message.bootId === bootId
        ? [m.message]
        : [],
    );

  const config = (gw: Gateway): GatewayConfigMessage => ({
    v: 1,
    type: 'config',
    version: 1,
    issuedAt: Date.now(),
    devices: [
      {
        id: `${gw.id}-counter`,
        name: 'Read counter',
        profileId: COUNTER_PROFILE_ID,
        connection: { kind: 'modbus-tcp', host: '127.0.0.1', port: device.port, unitId: gw.unit },
        tags: [],
      },
    ],
    profiles: [{ id: COUNTER_PROFILE_ID, version: '1.0.0', source: counterProfileSource(100) }],
  });

  beforeAll(async () => {
    ensureAgentBuilt();
    device = await CounterDevice.start();
    broker = new EmbeddedBrokerAdapter(
      { host: '127.0.0.1', port: 0, serviceAccount: SERVICE, acceptGateways: false },
      auth,
    );
    await broker.start();
    bus = new MqttBusAdapter(
      { url: broker.url, ...SERVICE, clientId: 'cp-outage', reconnectPeriodMs: 100 },
      collector.handler,
    );
    await bus.start();
    broker.setAcceptingGateways(true);
    proxy = await TcpProxy.start('127.0.0.1', Number(new URL(broker.url).port));
    for (const gw of gateways) {
      const password = `${gw.id}-password`;
      auth.add(gw.id, password);
      gw.stateDir = mkdtempSync(join(tmpdir(), `${gw.id}-`));
      writeIdentity(gw.stateDir, {
        gatewayId: gw.id,
        password,
        brokerUrl: `mqtt://127.0.0.1:${proxy.port}`,
      });
      await bus.publishDownlink(gw.id, config(gw));
      gw.agent = AgentProcess.start(gw.stateDir, { ...BASE_ENV, ...gw.env });
    }
  });

  afterAll(async () => {
    await killAllAgents();
    await proxy?.stop();
    await bus?.stop().catch(() => undefined);
    await broker?.stop().catch(() => undefined);
    await device?.stop();
    for (const gw of gateways)
      if (gw.stateDir) rmSync(gw.stateDir, { recursive: true, force: true });
  });

  it('buffers within the outbox bound, counts what it dropped, and delivers the rest in order', async () => {
    const boots = new Map<string, string>();
    for (const gw of gateways) {
      const s = await waitForStatus(
        gw,
        (x) => x.connection.connected && x.telemetry.batchesPublished >= 10,
        'connected and publishing',
      );
      boots.set(gw.id, s.bootId);
    }

    proxy.cut();
    const cutAt = Date.now();
    const atCut = new Map<string, AgentStatus>();
    for (const gw of gateways) {
      atCut.set(gw.id, await waitForStatus(gw, (s) => !s.connection.connected, 'disconnected'));
    }
    // The simulated hour: every agent makes an hour's worth of batches while unreachable. The
    // outbox is watched all along; it must never hold more than its bound.
    const maxDepth = new Map<string, number>();
    for (;;) {
      let done = true;
      for (const gw of gateways) {
        const s = readStatus(gw);
        if (!s) continue;
        maxDepth.set(gw.id, Math.max(maxDepth.get(gw.id) ?? 0, s.outbox.depth));
        expect(s.connection.connected).toBe(false);
        if (
          s.telemetry.batchesPublished - atCut.get(gw.id)!.telemetry.batchesPublished <
          HOUR_OF_BATCHES
        )
          done = false;
      }
      if (done) break;
      if (Date.now() - cutAt > 400_000) throw new Error('an hour of batches took too long');
      await new Promise((r) => setTimeout(r, 200));
    }
    const outageMs = Date.now() - cutAt;
    const beforeRestore = new Map<string, AgentStatus>();
    for (const gw of gateways) beforeRestore.set(gw.id, readStatus(gw)!);
    expect(maxDepth.get('gw-outage-tight')).toBeLessThanOrEqual(SMALL_BOUND);
    expect(beforeRestore.get('gw-outage-tight')!.outbox.dropped).toBeGreaterThan(0);
    expect(beforeRestore.get('gw-outage-roomy')!.outbox.dropped).toBe(0);

    proxy.restore();
    const restoredAt = Date.now();
    for (const gw of gateways) {
      const done = await waitForStatus(
        gw,
        (s) => s.connection.connected && s.outbox.depth === 0,
        'outbox drained after the link came back',
        120_000,
      );
      const recoveredInMs = Date.now() - restoredAt;
      const boot = boots.get(gw.id)!;
      // Everything published up to the drained moment has arrived (or was dropped and counted).
      const made = done.telemetry.nextBatchSeq;
      await collector.waitFor(
        () => telemetry(gw, boot).some((t) => t.batchSeq === made - 1),
        `${gw.id}: batch ${made - 1}`,
        30_000,
      );
      const arrivals = telemetry(gw, boot).filter((t) => t.batchSeq < made);
      const firstSeen: TelemetryMessage[] = [];
      const seen = new Set<number>();
      for (const t of arrivals) {
        if (seen.has(t.batchSeq)) continue;
        seen.add(t.batchSeq);
        firstSeen.push(t);
      }
      const seqs = firstSeen.map((t) => t.batchSeq);
      // In order: batch numbers and the device's read count only ever go up.
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      const counts = firstSeen.flatMap((t) =>
        t.readings.flatMap((r) =>
          r.point === 'count' && typeof r.value === 'number' ? [r.value] : [],
        ),
      );
      for (let i = 1; i < counts.length; i++) expect(counts[i]).toBeGreaterThan(counts[i - 1]!);
      // Missing batches are exactly the ones the outbox dropped (and counted), nothing else.
      const missing = made - seen.size;
      expect(missing).toBe(done.outbox.dropped);
      if (gw.id === 'gw-outage-roomy') expect(missing).toBe(0);
      else {
        // The oldest went: what is missing is one run right after the cut, the newest all came.
        const gaps = seqs.flatMap((s, i) =>
          i > 0 && s !== seqs[i - 1]! + 1 ? [s - seqs[i - 1]! - 1] : [],
        );
        expect(gaps).toEqual([missing]);
        expect(seqs[0]).toBe(0);
        expect(seqs.at(-1)).toBe(made - 1);
      }
      const duplicated = arrivals.length - firstSeen.length;
      recordScenario({
        scenario: `Gateway cut off from the control plane for a simulated hour (${gw.id === 'gw-outage-roomy' ? 'default outbox bound' : `outbox bound ${SMALL_BOUND} messages`})`,
        operations: made,
        lost: missing,
        duplicated,
        recoveredInMs,
        notes:
          `${made} telemetry batches (${HOUR_OF_BATCHES} per simulated hour at the default 5 s batch interval; ` +
          `the hour took ${Math.round(outageMs / 1000)} s, ${Math.round(3_600_000 / outageMs)}x compressed); largest outbox depth ${maxDepth.get(gw.id)}; ` +
          `${missing === 0 ? 'nothing dropped' : `${missing} oldest batches dropped by the bound and counted in outbox.dropped`}; ` +
          `delivered in order`,
      });
    }
  });
});
