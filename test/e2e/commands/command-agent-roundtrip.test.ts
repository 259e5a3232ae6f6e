import { loadProfileCatalog } from '@fleet/profiles';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentProcess, killAllAgents } from '../../support/agent/agent-process.js';
import { runBin } from '../../support/cli.js';
import { startTestControlPlane, type TestControlPlane } from '../../support/control-plane.js';
import {
  startTcpPeer,
  stopAllPeers,
  type ModbusPeer,
} from '../../support/modbus-peer/modbus-peer.js';
import { unitFromProfile } from '../../support/modbus-peer/profile-seed.js';
import { freePort } from '../../support/process.js';
import { seedTenant, type TenantFixture } from '../../support/tenant-fixture.js';
import { commandOf, eventually, type ExecutionView } from './support/command-fleet.js';

/**
 * Issue 5 end to end with real processes: fleetctl sends setDim to a streetlight controller behind
 * a real `gateway-agent`, which writes the pymodbus peer's register and verifies it; a group send
 * reports a device answering "illegal address"; bad parameters are refused before anything is
 * queued; an idempotency key returns the same command; while the agent is down a short-lived
 * command expires and a longer one waits and runs when it is back.
 */
let cp: TestControlPlane;
let tenant: TenantFixture;
let peer: ModbusPeer;
let agent: AgentProcess | undefined;
let stateDir: string;
let gatewayId: string;
const lights: Record<'good' | 'broken', string> = { good: '', broken: '' };

const AGENT_ENV = {
  GATEWAY_AGENT_SERIAL_NUMBER: 'HCM-D3-CAB-0007',
  GATEWAY_AGENT_MODEL: 'rpi4',
  GATEWAY_AGENT_HARDWARE_REVISION: '1.4',
  GATEWAY_AGENT_LOG_LEVEL: 'info',
  GATEWAY_AGENT_TELEMETRY_BATCH_INTERVAL_MS: '500',
  GATEWAY_AGENT_HEARTBEAT_INTERVAL_MS: '2000',
  GATEWAY_AGENT_RECONNECT_INITIAL_MS: '200',
  GATEWAY_AGENT_RECONNECT_MAX_MS: '1000',
  GATEWAY_AGENT_OUTBOX_FSYNC: 'false',
};

const fleetctl = (args: string[], role: 'operator' | 'viewer' = 'operator') =>
  runBin('fleetctl', args, { FLEET_URL: cp.url, FLEET_TOKEN: tenant.tokens[role] }, 90_000);
const gateway = async () =>
  (
    await tenant.as.viewer.get<{
      status: string;
      configAppliedVersion: number | null;
      configVersion: number;
    }>(`/api/v1/gateways/${gatewayId}`)
  ).body;
const dimLevel = async (unit: number) => (await peer.get(unit, 'holding', 0))[0];

beforeAll(async () => {
  const mqttPort = await freePort();
  cp = await startTestControlPlane({
    AUTH_RATE_LIMIT_PER_MINUTE: '1000',
    MQTT_PORT: String(mqttPort),
    PRESENCE_DEBOUNCE_MS: '0',
    RECONCILE_INTERVAL_SECONDS: '2',
  });
  tenant = await seedTenant(cp.platform, 'hcm', ['hcm-d3']);
  const profile = (await loadProfileCatalog()).get('streetlight-controller');
  peer = await startTcpPeer({
    units: {
      1: unitFromProfile(profile, { dim_level: 100, lamp_on: true }),
      // A controller whose register map does not match: every request answers exception 02.
      2: { ...unitFromProfile(profile), exception: { code: 2 } },
    },
  });
  stateDir = await mkdtemp(join(tmpdir(), 'fleet-cmd-agent-'));
});

afterAll(async () => {
  await agent?.stop().catch(() => undefined);
  await killAllAgents();
  await stopAllPeers();
  await cp?.close();
  await rm(stateDir, { recursive: true, force: true });
});

describe('commands through a real gateway agent to a Modbus device', () => {
  it('enrolls an agent that controls two streetlight controllers', async () => {
    const claim = await runBin('fleetctl', ['claim', 'create', '--site', 'hcm-d3', '--json'], {
      FLEET_URL: cp.url,
      FLEET_TOKEN: tenant.tokens.technician,
    });
    expect(claim.code, claim.stderr).toBe(0);
    const code = (JSON.parse(claim.stdout) as { code: string }).code;
    const enrolled = await runBin(
      'gateway-agent',
      ['enroll', '--server', cp.url, '--claim', code, '--state-dir', stateDir],
      AGENT_ENV,
    );
    expect(enrolled.code, enrolled.stderr + enrolled.stdout).toBe(0);
    const list = await tenant.as.viewer.get<{ items: { id: string }[] }>('/api/v1/gateways');
    gatewayId = list.body.items[0]!.id;
    for (const [key, unitId] of [
      ['good', 1],
      ['broken', 2],
    ] as const) {
      const device = await tenant.as.technician.post<{ id: string }>(
        `/api/v1/gateways/${gatewayId}/devices`,
        {
          name: `Light ${unitId}`,
          profileId: 'streetlight-controller',
          connection: { kind: 'modbus-tcp', host: '127.0.0.1', port: peer.port, unitId },
          tags: ['streetlight'],
        },
      );
      expect(device.status).toBe(201);
      lights[key] = device.body.id;
    }
    agent = AgentProcess.start(stateDir, AGENT_ENV);
    await eventually(
      gateway,
      (g) => g.status === 'online' && g.configAppliedVersion === g.configVersion,
      'agent online with its configuration applied',
    );
  });

  it('dims a light: the register changes and the result carries the verify outcome', async () => {
    expect(await dimLevel(1)).toBe(100);
    const sent = await fleetctl([
      'command',
      'send',
      '--devices',
      lights.good,
      '--command',
      'setDim',
      '--param',
      'level=40',
      '--wait',
    ]);
    expect(sent.code, sent.stdout + sent.stderr + agent!.output().slice(-3000)).toBe(0);
    expect(sent.stdout).toMatch(/succeeded\s+1 \(100\.0%\)/);
    expect(await dimLevel(1)).toBe(40);

    const id = /command ([0-9a-f-]{36})/.exec(sent.stdout)![1]!;
    const view = await commandOf(tenant.as.viewer, id);
    expect(view.counts.succeeded).toBe(1);
    const execution = view.results.items[0]!;
    expect(execution).toMatchObject({
      deviceId: lights.good,
      state: 'succeeded',
      attempts: 1,
      error: null,
    });
    expect(execution.result).toMatchObject({
      verify: { ok: true, point: 'dim_level', expected: 40, actual: 40 },
    });
    await agent!.waitForLog(
      (l) => l.msg === 'command executed' && l.executionId === execution.id,
      'the agent logged the execution with its ids',
    );

    const status = await fleetctl(['command', 'status', id], 'viewer');
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain('succeeded');
    const listed = await fleetctl(['command', 'list', '--json'], 'viewer');
    expect((JSON.parse(listed.stdout) as { id: string }[]).map((c) => c.id)).toContain(id);
  });

  it('sends to a group by selector and reports the device that answered an exception', async () => {
    const sent = await fleetctl([
      'command',
      'send',
      '--selector',
      'site=hcm-d3,tag=streetlight',
      '--command',
      'setDim',
      '--param',
      'level=65',
      '--wait',
    ]);
    expect(sent.code, sent.stdout + sent.stderr).toBe(3);
    expect(sent.stdout).toMatch(/succeeded\s+1 \(50\.0%\)/);
    expect(sent.stdout).toMatch(/failed\s+1 \(50\.0%\)/);
    expect(sent.stdout).toMatch(/MODBUS_ILLEGAL_ADDRESS: .*Illegal Data Address/);
    expect(await dimLevel(1)).toBe(65);
    const id = /command ([0-9a-f-]{36})/.exec(sent.stdout)![1]!;
    const failed = (await commandOf(tenant.as.viewer, id, '?state=failed')).results.items;
    expect(failed.map((e: ExecutionView) => e.deviceId)).toEqual([lights.broken]);
    // Illegal address is permanent: no retries on the device.
    expect(failed[0]!.error!.message).not.toMatch(/attempts/);
  });

  it('refuses bad parameters before anything is queued, naming the parameter', async () => {
    const before = (await tenant.as.viewer.get<{ items: unknown[] }>('/api/v1/commands')).body.items
      .length;
    const bad = await fleetctl([
      'command',
      'send',
      '--devices',
      lights.good,
      '--command',
      'setDim',
      '--param',
      'level=140',
    ]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('params.level: must be 0..100 % (got 140)');
    const after = (await tenant.as.viewer.get<{ items: unknown[] }>('/api/v1/commands')).body.items
      .length;
    expect(after).toBe(before);
    expect(await dimLevel(1)).toBe(65);
  });

  it('returns the same command for the same idempotency key', async () => {
    const args = [
      'command',
      'send',
      '--devices',
      lights.good,
      '--command',
      'setDim',
      '--param',
      'level=55',
      '--idempotency-key',
      'ops-ticket-4711',
      '--json',
    ];
    const first = await fleetctl(args);
    const second = await fleetctl(args);
    expect(first.code, first.stderr).toBe(0);
    expect(second.code, second.stderr).toBe(0);
    const a = JSON.parse(first.stdout) as { id: string };
    const b = JSON.parse(second.stdout) as { id: string };
    expect(b.id).toBe(a.id);
    const done = await eventually(
      () => commandOf(tenant.as.viewer, a.id),
      (c) => c.done,
      'done',
    );
    expect(done.counts.succeeded).toBe(1);
    expect(await dimLevel(1)).toBe(55);
  });

  it('expires a command while the gateway is down, and delivers a longer-lived one when it returns', async () => {
    await agent!.stop();
    await eventually(gateway, (g) => g.status === 'offline', 'gateway offline');
    const send = async (level: number, ttl: number) => {
      const res = await tenant.as.operator.post<{ id: string }>('/api/v1/commands', {
        target: { deviceIds: [lights.good] },
        command: 'setDim',
        params: { level },
        ttlSeconds: ttl,
      });
      expect(res.status).toBe(201);
      return res.body.id;
    };
    const shortLived = await send(11, 5);
    const longLived = await send(77, 120);
    const expired = await eventually(
      () => commandOf(tenant.as.viewer, shortLived),
      (c) => c.done,
      'short-lived command expired',
    );
    expect(expired.counts.expired).toBe(1);
    expect(expired.results.items[0]!.error!.code).toBe('EXPIRED');

    agent = AgentProcess.start(stateDir, AGENT_ENV);
    const delivered = await eventually(
      () => commandOf(tenant.as.viewer, longLived),
      (c) => c.done,
      'the waiting command ran after the reconnect',
    );
    expect(delivered.counts.succeeded).toBe(1);
    expect(await dimLevel(1)).toBe(77);
    const expiredExecution = expired.results.items[0]!.id;
    expect(agent.lines.some((l) => l.executionId === expiredExecution)).toBe(false);
  });
});
