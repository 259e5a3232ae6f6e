// Rollouts to REAL gateway agents: twenty `gateway-agent supervise` processes enrolled against the
// built control plane, running as its own process. A signed agent release goes out in three waves
// and every agent restarts into it and commits it; a release whose trial never gets healthy rolls
// back on the first wave by itself and the failure threshold stops the rollout there; the control
// plane killed with SIGKILL in the middle of a rollout carries on after it is started again, and
// no agent installs anything twice.
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureAgentBuilt } from '../../support/agent/agent-build.js';
import { startTestControlPlane, type TestControlPlane } from '../../support/control-plane.js';
import { freePort } from '../../support/process.js';
import {
  buildAgentRelease,
  generateReleaseKey,
  signRelease,
  writeReleaseKeys,
  type AgentRelease,
} from '../../support/ota/agent-releases.js';
import { killAllSupervised } from '../../support/ota/supervised-agent.js';
import { recordScenario } from '../../support/reliability-report.js';
import { seedTenant, type TenantFixture } from '../../support/tenant-fixture.js';
import { ControlPlaneProcess } from './support/control-plane-process.js';
import { addKey, eventually, upload } from './support/firmware-fixture.js';
import {
  agentLog,
  fleetTempDir,
  startSupervisedFleet,
  type FleetAgent,
} from './support/supervised-fleet.js';

interface Rollout {
  id: string;
  state: string;
  stateReason: string | null;
  currentWave: number;
  waves: { index: number; size: number; state: string }[];
  counts: Record<string, number>;
  total: number;
}
interface Deployment {
  gatewayId: string;
  wave: number;
  state: string;
  runningVersion: string | null;
  committedAt: string | null;
  errorCode: string | null;
  errorMessage: string | null;
}
interface Gateway {
  id: string;
  firmwareVersion: string | null;
  connectivity: string;
}

const SITE = 'agents-a';
const COUNT = 20;
const SEED_VERSION = '0.1.0';

let work: string;
let seedCp: TestControlPlane;
let cp: ControlPlaneProcess;
let t: TenantFixture;
let fleet: FleetAgent[] = [];
const key = generateReleaseKey();
/** Trusted by the control plane, not pinned on the gateways. */
const unpinnedKey = generateReleaseKey();
const releases: Record<string, { id: string; release: AgentRelease }> = {};

beforeAll(async () => {
  ensureAgentBuilt();
  work = await fleetTempDir();
  const keysDir = await writeReleaseKeys(join(work, 'release-keys'), [key]);
  // Database, Redis prefix, data dir and the first administrator from the usual test control plane,
  // which then hands over to the built one running as a separate process on the same ports.
  const mqttPort = await freePort();
  const settings = {
    AUTH_RATE_LIMIT_PER_MINUTE: '100000',
    PRESENCE_DEBOUNCE_MS: '0',
    RECONCILE_INTERVAL_SECONDS: '2',
    MQTT_PORT: String(mqttPort),
  };
  seedCp = await startTestControlPlane(settings);
  t = await seedTenant(seedCp.platform, 'agents', [SITE]);
  await addKey(t.as['release-manager'], key);
  await addKey(t.as['release-manager'], unpinnedKey, 'key the gateways do not pin');
  await seedCp.stop();
  cp = new ControlPlaneProcess({
    ...settings,
    PORT: new URL(seedCp.url).port,
    HOST: '127.0.0.1',
    MQTT_HOST: '127.0.0.1',
    DATABASE_URL: seedCp.db.url,
    DATABASE_POOL_SIZE: '5',
    REDIS_URL: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
    REDIS_PREFIX: seedCp.redisPrefix,
    DATA_DIR: seedCp.dataDir,
    LOG_LEVEL: 'warn',
  });
  await cp.start();

  for (const [version, flavour, signer] of [
    ['0.2.0', 'good', key],
    ['0.3.0', 'offline', key],
    ['0.4.0', 'good', key],
    ['0.5.0', 'good', unpinnedKey],
    ['0.6.0', 'good', key],
  ] as const) {
    const release = await buildAgentRelease(work, version, flavour);
    const res = await upload(
      t.as['release-manager'],
      cp.url,
      t.tokens['release-manager'],
      signRelease(release, signer, { models: ['rpi4'] }),
      release.content,
    );
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    releases[version] = { id: res.body.id as string, release };
  }

  fleet = await startSupervisedFleet({
    serverUrl: cp.url,
    technician: t.as.technician,
    viewer: t.as.viewer,
    siteId: SITE,
    count: COUNT,
    prefix: 'AG',
    workDir: work,
    releaseKeysDir: keysDir,
  });
  // Every agent online from its seeded slot, its version known to the control plane.
  await eventually(
    gateways,
    (list) =>
      list.length === COUNT &&
      list.every((g) => g.connectivity === 'online' && g.firmwareVersion === SEED_VERSION),
    'twenty agents online on the seeded version',
    240_000,
  );
}, 420_000);

afterAll(async () => {
  await killAllSupervised();
  await cp?.kill();
  await seedCp?.close();
  if (work) await rm(work, { recursive: true, force: true });
}, 120_000);

async function gateways(): Promise<Gateway[]> {
  const res = await t.as.viewer.get<{ items: Gateway[] }>(
    `/api/v1/gateways?selector=site=${SITE}&limit=100`,
  );
  return res.status === 200 ? res.body.items : [];
}

/** The rollout, or undefined while the control plane does not answer (it is being restarted). */
async function rolloutOf(id: string): Promise<Rollout | undefined> {
  try {
    const res = await t.as.viewer.get<Rollout>(`/api/v1/rollouts/${id}`);
    return res.status === 200 ? res.body : undefined;
  } catch {
    return undefined;
  }
}

async function deploymentsOf(id: string): Promise<Deployment[]> {
  const res = await t.as.viewer.get<{ items: Deployment[] }>(
    `/api/v1/rollouts/${id}/deployments?limit=500`,
  );
  expect(res.status).toBe(200);
  return res.body.items;
}

async function create(
  version: string,
  body: Record<string, unknown>,
  total = COUNT,
): Promise<Rollout> {
  const res = await t.as['release-manager'].post<Rollout>('/api/v1/rollouts', {
    releaseId: releases[version]!.id,
    selector: `site=${SITE}`,
    ...body,
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  expect(res.body.total).toBe(total);
  return res.body;
}

function context(): string {
  return `control plane:\n${cp.output().slice(-4_000)}`;
}

describe('a signed agent release to twenty real agents', () => {
  it('goes out in three waves; every agent restarts into it, verifies and commits it, installing it once', async () => {
    const rollout = await create('0.2.0', {
      waves: ['10%', '50%', '100%'],
      successThresholdPercent: 100,
      failureThreshold: { count: 1, action: 'pause' },
      maxConcurrent: 5,
    });
    const done = await eventually(
      () => rolloutOf(rollout.id),
      (r) => r?.state === 'completed' || r?.state === 'paused' || r?.state === 'aborted',
      'the rollout to finish',
      420_000,
    );
    expect(done?.state, `${JSON.stringify(done)}\n${context()}`).toBe('completed');
    expect(done?.counts).toEqual({ succeeded: COUNT });
    // 10 %, 50 %, 100 % of twenty: 2, then 8 more, then the last 10.
    expect(done?.waves.map((w) => [w.size, w.state])).toEqual([
      [2, 'done'],
      [8, 'done'],
      [10, 'done'],
    ]);

    const deployments = await deploymentsOf(rollout.id);
    expect(deployments).toHaveLength(COUNT);
    for (const d of deployments) {
      expect(d.runningVersion, d.gatewayId).toBe('0.2.0');
      expect(d.committedAt, d.gatewayId).not.toBeNull();
    }
    // Wave gating, seen at the agents (one clock, causal order): no agent of a wave accepted the
    // release before every agent of the wave before had committed it.
    const waveOf = new Map(deployments.map((d) => [d.gatewayId, d.wave]));
    const at = (wave: number, msg: string) =>
      fleet
        .filter((a) => waveOf.get(a.gatewayId) === wave)
        .map((a) => {
          const line = a.agent.lines.find((l) => l.msg === msg && l.version === '0.2.0');
          expect(line, `${a.serial}: ${msg}`).toBeDefined();
          return Date.parse(line!.time as string);
        });
    const committed = (wave: number) => Math.max(...at(wave, 'trial healthy and committed'));
    const accepted = (wave: number) => Math.min(...at(wave, 'deployment accepted'));
    expect(accepted(2)).toBeGreaterThan(committed(1));
    expect(accepted(3)).toBeGreaterThan(committed(2));

    // What the control plane says is what runs on each gateway: slot b committed, installed once.
    const list = await eventually(
      gateways,
      (l) => l.every((g) => g.connectivity === 'online' && g.firmwareVersion === '0.2.0'),
      'every gateway online on 0.2.0',
    );
    expect(list).toHaveLength(COUNT);
    for (const { serial, agent } of fleet) {
      expect(await agent.slotState(), serial).toMatchObject({
        committed: { slot: 'b', version: '0.2.0' },
        trial: null,
        lastResult: { outcome: 'committed', version: '0.2.0' },
      });
      expect((await agent.agent())?.dir, serial).toBe(join(agent.stateDir, 'slots', 'b'));
      expect(agentLog(agent, 'installed; switching to the new version', '0.2.0'), serial).toBe(1);
      expect(agentLog(agent, 'trial healthy and committed', '0.2.0'), serial).toBe(1);
    }
  }, 600_000);
});

describe('a release whose trial never gets healthy', () => {
  it('rolls back on the first wave by itself, and the failure threshold stops the rollout before the next wave', async () => {
    const rollout = await create('0.3.0', {
      waves: ['2', '50%', '100%'],
      failureThreshold: { count: 2, action: 'abort' },
      // The agent gives the trial this long to reconnect before it rolls back.
      phaseTimeouts: { verifying: 8 },
    });
    const done = await eventually(
      () => rolloutOf(rollout.id),
      (r) => r?.state === 'aborted' || r?.state === 'completed',
      'the rollout to stop',
      300_000,
    );
    expect(done?.state, `${JSON.stringify(done)}\n${context()}`).toBe('aborted');
    expect(done?.stateReason).toMatch(/failure threshold reached: 2 deployments failed/);
    expect(done?.counts).toEqual({ rolled_back: 2, canceled: COUNT - 2 });

    const deployments = await deploymentsOf(rollout.id);
    const first = deployments.filter((d) => d.wave === 1);
    expect(first).toHaveLength(2);
    for (const d of first) {
      expect(d).toMatchObject({
        state: 'rolled_back',
        runningVersion: '0.2.0',
        errorCode: 'HEALTH_CHECK_FAILED',
      });
      expect(d.errorMessage).toMatch(
        /0\.3\.0 was not healthy within 8000 ms: not connected to the control plane/,
      );
    }
    const tried = new Set(first.map((d) => d.gatewayId));
    for (const { serial, gatewayId, agent } of fleet) {
      if (tried.has(gatewayId)) {
        // Back on the committed slot, by itself, and reported by the old version.
        expect(await agent.slotState(), serial).toMatchObject({
          committed: { slot: 'b', version: '0.2.0' },
          trial: null,
          lastResult: { outcome: 'rolled_back', version: '0.3.0' },
        });
        expect((await agent.agent())?.dir, serial).toBe(join(agent.stateDir, 'slots', 'b'));
      } else {
        // The later waves were never told anything.
        expect(agentLog(agent, 'deployment accepted', '0.3.0'), serial).toBe(0);
        expect(await agent.slotState(), serial).toMatchObject({
          committed: { slot: 'b', version: '0.2.0' },
          lastResult: { outcome: 'committed', version: '0.2.0' },
        });
      }
    }
    await eventually(
      gateways,
      (l) => l.every((g) => g.connectivity === 'online' && g.firmwareVersion === '0.2.0'),
      'every gateway online on 0.2.0 again',
    );
  }, 600_000);
});

describe('the control plane killed mid-rollout', () => {
  it('carries on after kill -9 and a restart; every agent installs the release exactly once', async () => {
    const rollout = await create('0.4.0', {
      waves: ['2', '50%', '100%'],
      maxConcurrent: 4,
    });
    // Kill it while the second wave is under way: some done, some installing, some not started.
    await eventually(
      () => rolloutOf(rollout.id),
      (r) => (r?.currentWave ?? 0) >= 2 && (r?.counts.succeeded ?? 0) >= 4,
      'the second wave under way',
      300_000,
    );
    const before = (await rolloutOf(rollout.id))!;
    const killedAt = Date.now();
    await cp.kill();
    await cp.start();
    const restartedAt = Date.now();
    const succeededBefore = before.counts.succeeded ?? 0;
    // Recovered: the restarted control plane records a gateway finishing it had not seen before.
    await eventually(
      () => rolloutOf(rollout.id),
      (r) => (r?.counts.succeeded ?? 0) > succeededBefore,
      'progress after the restart',
      300_000,
    );
    const recoveredAt = Date.now();
    const done = await eventually(
      () => rolloutOf(rollout.id),
      (r) => r?.state === 'completed' || r?.state === 'paused' || r?.state === 'aborted',
      'the rollout to finish after the restart',
      420_000,
    );
    const completedAt = Date.now();
    expect(done?.state, `${JSON.stringify(done)}\n${context()}`).toBe('completed');
    expect(done?.counts).toEqual({ succeeded: COUNT });

    const list = await eventually(
      gateways,
      (l) => l.every((g) => g.connectivity === 'online' && g.firmwareVersion === '0.4.0'),
      'every gateway online on 0.4.0',
    );
    expect(list).toHaveLength(COUNT);
    let lost = 0;
    let duplicated = 0;
    for (const { serial, agent } of fleet) {
      const slots = await agent.slotState();
      if (slots?.committed?.version !== '0.4.0') lost += 1;
      const installs = agentLog(agent, 'installed; switching to the new version', '0.4.0');
      if (installs > 1) duplicated += 1;
      expect(slots, serial).toMatchObject({
        committed: { slot: 'a', version: '0.4.0' },
        trial: null,
        lastResult: { outcome: 'committed', version: '0.4.0' },
      });
      expect(agentLog(agent, 'deployment accepted', '0.4.0'), serial).toBe(1);
      expect(installs, serial).toBe(1);
    }
    const deployments = await deploymentsOf(rollout.id);
    expect(new Set(deployments.map((d) => d.gatewayId)).size).toBe(COUNT);
    recordScenario({
      scenario: 'Control plane killed (SIGKILL) mid-rollout, 20 real agents',
      operations: COUNT,
      lost,
      duplicated,
      // The fault ends when the killed process is started again, at once: kill to last success.
      recoveredInMs: completedAt - killedAt,
      notes: `killed in wave ${before.currentWave} with ${succeededBefore} of ${COUNT} succeeded; answering again after ${restartedAt - killedAt} ms, next success recorded after ${recoveredAt - killedAt} ms; counted at the agents (slot state, one install each)`,
    });
  }, 900_000);
});

describe('the control plane alone cannot make a gateway install anything', () => {
  it('a release signed by a key the control plane trusts but the gateway does not pin is refused by the agent', async () => {
    const [target, ...others] = fleet;
    const rollout = await create(
      '0.5.0',
      {
        selector: `serial=${target!.serial}`,
        waves: ['100%'],
        failureThreshold: { count: 1, action: 'abort' },
      },
      1,
    );
    const done = await eventually(
      () => rolloutOf(rollout.id),
      (r) => r?.state === 'aborted' || r?.state === 'completed',
      'the rollout to stop',
      120_000,
    );
    expect(done?.state, `${JSON.stringify(done)}\n${context()}`).toBe('aborted');
    const [deployment] = await deploymentsOf(rollout.id);
    expect(deployment).toMatchObject({
      gatewayId: target!.gatewayId,
      state: 'failed',
      runningVersion: '0.4.0',
      errorCode: 'UNKNOWN_KEY',
    });
    expect(deployment!.errorMessage).toMatch(/not a trusted release key/);
    // Refused before a byte was fetched or anything installed.
    expect(agentLog(target!.agent, 'deployment accepted', '0.5.0')).toBe(0);
    expect(await target!.agent.slotState()).toMatchObject({
      committed: { slot: 'a', version: '0.4.0' },
      trial: null,
      slots: { b: { version: '0.2.0' } },
    });
    for (const { agent } of others) expect(agentLog(agent, 'deployment accepted', '0.5.0')).toBe(0);
  });

  it('an artifact altered in the store after its upload is downloaded, fails its SHA-256 check on the agent and is not installed', async () => {
    const target = fleet[1]!;
    const { id } = releases['0.6.0']!;
    // Bit rot or tampering behind the control plane's back: same size, one byte changed.
    const stored = join(seedCp.dataDir, 'artifacts', t.tenantId, `${id}.bin`);
    const bytes = await readFile(stored);
    bytes[bytes.length >> 1] ^= 0xff;
    await writeFile(stored, bytes);
    const rollout = await create(
      '0.6.0',
      {
        selector: `serial=${target.serial}`,
        waves: ['100%'],
        failureThreshold: { count: 1, action: 'abort' },
      },
      1,
    );
    const done = await eventually(
      () => rolloutOf(rollout.id),
      (r) => r?.state === 'aborted' || r?.state === 'completed',
      'the rollout to stop',
      120_000,
    );
    expect(done?.state, `${JSON.stringify(done)}\n${context()}`).toBe('aborted');
    const [deployment] = await deploymentsOf(rollout.id);
    expect(deployment).toMatchObject({
      state: 'failed',
      runningVersion: '0.4.0',
      errorCode: 'HASH_MISMATCH',
    });
    expect(deployment!.errorMessage).toMatch(/SHA-256|sha256|hash/i);
    expect(agentLog(target.agent, 'deployment accepted', '0.6.0')).toBe(1);
    expect(agentLog(target.agent, 'installed; switching to the new version', '0.6.0')).toBe(0);
    expect(await target.agent.slotState()).toMatchObject({
      committed: { slot: 'a', version: '0.4.0' },
      trial: null,
      slots: { b: { version: '0.2.0' } },
    });
  });
});
