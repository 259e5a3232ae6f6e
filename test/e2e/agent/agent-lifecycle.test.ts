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

/**
 * Issue 4 end to end, with real processes: fleetctl makes a claim, `gateway-agent enroll` uses it,
 * `gateway-agent run` comes online, polls a pymodbus meter through the eastron-sdm630 profile, and
 * the readings show up in the API — also those taken while the control plane was away.
 */
let cp: TestControlPlane;
let tenant: TenantFixture;
let peer: ModbusPeer;
let agent: AgentProcess | undefined;
let stateDir: string;
let gatewayId: string;
let deviceId: string;

const AGENT_ENV = {
  GATEWAY_AGENT_SERIAL_NUMBER: 'QN-HALONG-0001',
  GATEWAY_AGENT_MODEL: 'rpi4',
  GATEWAY_AGENT_HARDWARE_REVISION: '1.4',
  GATEWAY_AGENT_LOG_LEVEL: 'info',
  GATEWAY_AGENT_TELEMETRY_BATCH_INTERVAL_MS: '500',
  GATEWAY_AGENT_READING_HEARTBEAT_MS: '1000',
  GATEWAY_AGENT_HEARTBEAT_INTERVAL_MS: '2000',
  GATEWAY_AGENT_RECONNECT_INITIAL_MS: '200',
  GATEWAY_AGENT_RECONNECT_MAX_MS: '2000',
  GATEWAY_AGENT_REFUSED_RETRY_MS: '500',
  GATEWAY_AGENT_REFUSED_RETRY_MAX_MS: '2000',
  GATEWAY_AGENT_OUTBOX_FSYNC: 'false',
};

async function until<T>(
  read: () => Promise<T>,
  ok: (v: T) => boolean,
  what: string,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > deadline)
      throw new Error(
        `timed out waiting for ${what}: ${JSON.stringify(value)}\n${agent?.output().slice(-3000) ?? ''}`,
      );
    await new Promise((r) => setTimeout(r, 250));
  }
}

const gateway = async () =>
  (
    await tenant.as.viewer.get<{
      status: string;
      lifecycle: string;
      configAppliedVersion: number | null;
    }>(`/api/v1/gateways/${gatewayId}`)
  ).body;
const voltageHistory = async (from: Date) =>
  (
    await tenant.as.viewer.get<{ items: { ts: string; value: number }[] }>(
      `/api/v1/devices/${deviceId}/telemetry?point=voltage_l1&from=${from.toISOString()}&limit=10000`,
    )
  ).body.items;

beforeAll(async () => {
  const mqttPort = await freePort();
  cp = await startTestControlPlane({
    AUTH_RATE_LIMIT_PER_MINUTE: '1000',
    MQTT_PORT: String(mqttPort),
    PRESENCE_DEBOUNCE_MS: '500',
  });
  tenant = await seedTenant(cp.platform, 'quangninh', ['qn-halong']);
  const sdm630 = (await loadProfileCatalog()).get('eastron-sdm630');
  peer = await startTcpPeer({
    units: {
      1: unitFromProfile(sdm630, { voltage_l1: 230.1, frequency: 49.98, current_l1: 4.25 }),
    },
  });
  stateDir = await mkdtemp(join(tmpdir(), 'fleet-agent-e2e-'));
});

afterAll(async () => {
  await agent?.stop().catch(() => undefined);
  await killAllAgents();
  await stopAllPeers();
  await cp?.close();
  await rm(stateDir, { recursive: true, force: true });
});

describe('gateway agent, from unboxed to reporting', () => {
  it('enrolls with a claim a technician made with fleetctl, and comes online', async () => {
    const claim = await runBin('fleetctl', ['claim', 'create', '--site', 'qn-halong', '--json'], {
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
    const again = await runBin(
      'gateway-agent',
      ['enroll', '--server', cp.url, '--claim', code, '--state-dir', stateDir, '--force'],
      AGENT_ENV,
    );
    expect(again.code).not.toBe(0);
    expect(again.stderr + again.stdout).toMatch(/already been used|CLAIM_USED/);

    const list = await tenant.as.viewer.get<{ items: { id: string; serialNumber: string }[] }>(
      '/api/v1/gateways',
    );
    gatewayId = list.body.items.find((g) => g.serialNumber === 'QN-HALONG-0001')!.id;

    agent = AgentProcess.start(stateDir, AGENT_ENV);
    await until(gateway, (g) => g.status === 'online', 'gateway online');
  });

  it('polls the meter through its profile once the device is added, and the readings reach the API', async () => {
    const device = await tenant.as.technician.post<{ id: string }>(
      `/api/v1/gateways/${gatewayId}/devices`,
      {
        name: 'Substation meter',
        profileId: 'eastron-sdm630',
        connection: { kind: 'modbus-tcp', host: '127.0.0.1', port: peer.port, unitId: 1 },
      },
    );
    expect(device.status).toBe(201);
    deviceId = device.body.id;
    await until(gateway, (g) => g.configAppliedVersion !== null, 'config applied');
    const state = await until(
      async () =>
        (
          await tenant.as.viewer.get<{ points: { point: string; value: number }[] }>(
            `/api/v1/devices/${deviceId}/state`,
          )
        ).body.points,
      (points) =>
        ['voltage_l1', 'frequency', 'current_l1'].every((p) => points.some((x) => x.point === p)),
      'readings in the latest state',
    );
    const value = (name: string) => state.find((p) => p.point === name)!.value;
    expect(value('voltage_l1')).toBeCloseTo(230.1, 3);
    expect(value('frequency')).toBeCloseTo(49.98, 3);
    expect(value('current_l1')).toBeCloseTo(4.25, 3);

    const status = await runBin(
      'gateway-agent',
      ['status', '--state-dir', stateDir, '--json'],
      AGENT_ENV,
    );
    expect(status.code).toBe(0);
    expect(status.stdout).toContain('"connected"');
  });

  it('keeps polling while the control plane is away and delivers every buffered reading afterwards, in order', async () => {
    const outageStart = new Date();
    await cp.stop();
    const set = async (volts: number) => {
      const buf = Buffer.alloc(4);
      buf.writeFloatBE(volts);
      await peer.set(1, 'input', 0, [buf.readUInt16BE(0), buf.readUInt16BE(2)]);
    };
    await set(231.5);
    await new Promise((r) => setTimeout(r, 12_000));
    await set(233.5);
    await new Promise((r) => setTimeout(r, 12_000));
    const outageEnd = new Date();
    await cp.restart();

    await until(gateway, (g) => g.status === 'online', 'online again after the restart', 60_000);
    const history = await until(
      () => voltageHistory(outageStart),
      (items) => items.some((i) => Math.abs(i.value - 233.5) < 0.01 && new Date(i.ts) < outageEnd),
      'readings taken during the outage',
      60_000,
    );
    const during = history.filter(
      (i) => new Date(i.ts) >= outageStart && new Date(i.ts) <= outageEnd,
    );
    expect(during.some((i) => Math.abs(i.value - 231.5) < 0.01)).toBe(true);
    expect(during.some((i) => Math.abs(i.value - 233.5) < 0.01)).toBe(true);
    // The profile polls every 10 s: 24 s of outage holds at least two polls, and no gap is longer than a period.
    expect(during.length).toBeGreaterThanOrEqual(2);
    const stamps = history.map((i) => new Date(i.ts).getTime());
    expect([...stamps].sort((a, b) => a - b)).toEqual(stamps);
    for (let i = 1; i < stamps.length; i++)
      expect(stamps[i]! - stamps[i - 1]!).toBeLessThan(15_000);
  });

  it('is disconnected and refused once an administrator revokes it (fleetctl)', async () => {
    const revoked = await runBin('fleetctl', ['gateways', 'revoke', gatewayId], {
      FLEET_URL: cp.url,
      FLEET_TOKEN: tenant.tokens.admin,
    });
    expect(revoked.code, revoked.stderr).toBe(0);
    expect((await gateway()).status).toBe('revoked');
    await agent!.waitForLog(
      (l) => /refused|not authorized|bad username/i.test(l.msg + JSON.stringify(l)),
      'agent told it is refused',
      20_000,
    );
    const status = await runBin(
      'gateway-agent',
      ['status', '--state-dir', stateDir, '--json'],
      AGENT_ENV,
    );
    expect(status.stdout).toMatch(/refused/i);
  });
});
