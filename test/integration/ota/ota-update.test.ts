// Real agents under a real `gateway-agent supervise`, an embedded broker the test drives as the
// control plane would, and a local artifact server with Range/ETag: a good release is installed,
// restarted into, verified (reconnected, bus polling again) and committed; bad releases roll back
// by themselves; releases that do not verify or do not fit are refused and nothing is installed.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '@fleet/common';
import type {
  GatewayConfigMessage,
  OtaReportedPhase,
  SignedManifestEnvelope,
} from '@fleet/contracts';
import type { ReleaseKeyPair } from '@fleet/firmware';
import { loadProfileCatalog, type DeviceProfile } from '@fleet/profiles';
import { ensureAgentBuilt } from '../../support/agent/agent-build.js';
import { AgentProcess, killAllAgents } from '../../support/agent/agent-process.js';
import { writeIdentity } from '../../support/agent/identity-fixture.js';
import {
  startTcpPeer,
  stopAllPeers,
  type ModbusPeer,
} from '../../support/modbus-peer/modbus-peer.js';
import { unitFromProfile } from '../../support/modbus-peer/profile-seed.js';
import {
  buildAgentRelease,
  generateReleaseKey,
  signRelease,
  writeReleaseKeys,
  type AgentRelease,
} from '../../support/ota/agent-releases.js';
import { ArtifactServer } from '../../support/ota/artifact-server.js';
import { OtaTestBroker, otaInstruction } from '../../support/ota/ota-broker.js';
import { FAST_AGENT_ENV, startSupervisedGateway } from '../../support/ota/ota-gateway.js';
import { killAllSupervised, type SupervisedAgent } from '../../support/ota/supervised-agent.js';

const SUCCESS_PHASES: OtaReportedPhase[] = [
  'downloading',
  'downloaded',
  'installing',
  'rebooting',
  'verifying',
  'succeeded',
];

let work: string;
let broker: OtaTestBroker;
let server: ArtifactServer;
let peer: ModbusPeer;
let meter: DeviceProfile;
let releaseKey: ReleaseKeyPair;
let revokedKey: ReleaseKeyPair;
let keyEnv: Record<string, string>;
let good: AgentRelease;
let crash: AgentRelease;
let offline: AgentRelease;
let older: AgentRelease;
let gatewayCount = 0;

beforeAll(async () => {
  ensureAgentBuilt();
  work = await mkdtemp(join(tmpdir(), 'ota-update-'));
  releaseKey = generateReleaseKey();
  revokedKey = generateReleaseKey();
  const keysDir = await writeReleaseKeys(join(work, 'release-keys'), [releaseKey, revokedKey]);
  keyEnv = {
    GATEWAY_AGENT_RELEASE_KEYS: keysDir,
    GATEWAY_AGENT_REVOKED_RELEASE_KEYS: revokedKey.keyId,
  };
  good = await buildAgentRelease(work, '0.2.0', 'good');
  crash = await buildAgentRelease(work, '0.3.0', 'crash');
  offline = await buildAgentRelease(work, '0.4.0', 'offline');
  older = await buildAgentRelease(work, '0.0.9', 'good');
  broker = new OtaTestBroker();
  await broker.start();
  server = new ArtifactServer();
  await server.start();
  meter = (await loadProfileCatalog()).get('eastron-sdm630');
  peer = await startTcpPeer({ units: { 1: unitFromProfile(meter, { voltage_l1: 230.5 }) } });
}, 120_000);

afterEach(async () => {
  await killAllSupervised();
  await killAllAgents();
});

afterAll(async () => {
  await killAllSupervised();
  await stopAllPeers();
  await server?.stop();
  await broker?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

function nextGatewayId(): string {
  gatewayCount += 1;
  return `gw-ota-${gatewayCount}`;
}

async function gateway(
  env: Record<string, string> = keyEnv,
): Promise<{ id: string; agent: SupervisedAgent }> {
  const id = nextGatewayId();
  const agent = await startSupervisedGateway({ broker, workDir: work, gatewayId: id, env });
  return { id, agent };
}

/** A configuration polling the pymodbus meter quickly, as the control plane would push it. */
function meterConfig(): GatewayConfigMessage {
  return {
    v: 1,
    type: 'config',
    version: 1,
    issuedAt: Date.now(),
    devices: [
      {
        id: 'meter-1',
        name: 'Cabinet meter',
        profileId: 'eastron-sdm630',
        connection: { kind: 'modbus-tcp', host: '127.0.0.1', port: peer.port, unitId: 1 },
        tags: [],
      },
    ],
    profiles: [{ id: 'eastron-sdm630', version: meter.version, source: fastProfileSource }],
  };
}

let fastProfileSource = '';

async function loadFastProfile(): Promise<void> {
  fastProfileSource = (
    await readFile(join(packageRoot(), 'device-profiles/eastron-sdm630.yaml'), 'utf8')
  )
    .replace(/realtime: \{ periodMs: \d+/, 'realtime: { periodMs: 500')
    .replace(/energy: \{ periodMs: \d+/, 'energy: { periodMs: 1000')
    .replace(/settings: \{ periodMs: \d+/, 'settings: { periodMs: 2000')
    .replace('interFrameDelayMs: 50', 'interFrameDelayMs: 5');
}

function context(agent: SupervisedAgent): () => string {
  return () => agent.output().slice(-12_000);
}

describe('an agent release that works', () => {
  it('is downloaded, installed to slot b, restarted into, verified with the bus polling, committed and reported', async () => {
    await loadFastProfile();
    const { id, agent } = await gateway();
    await broker.send(id, meterConfig());
    // The old version polls the meter: the trial must poll it too before it may commit.
    await agent.waitFor(
      () =>
        broker.collector.messages.find(
          (m) => m.gatewayId === id && m.channel === 'telemetry' && m.message.readings.length > 0,
        ),
      'telemetry from the old version',
    );
    const firstAgent = await agent.agent();
    expect(firstAgent?.dir).toBe(join(agent.stateDir, 'slots', 'a'));

    const url = server.add(`${id}-good.tar.gz`, good.content);
    const instruction = otaInstruction({
      deploymentId: `dep-${id}`,
      manifest: signRelease(good, releaseKey),
      downloadUrl: url,
    });
    await broker.send(id, instruction);
    const done = await broker.waitForOta(
      id,
      instruction.deploymentId,
      (s) => ['succeeded', 'failed', 'rolled_back'].includes(s.phase),
      90_000,
      context(agent),
    );
    expect(done).toMatchObject({ phase: 'succeeded', runningVersion: '0.2.0', progress: 100 });
    expect(broker.phases(id, instruction.deploymentId)).toEqual(SUCCESS_PHASES);
    const reports = broker.otaStatuses(id, instruction.deploymentId);
    expect(reports.find((r) => r.phase === 'rebooting')?.runningVersion).toBe('0.1.0');
    expect(reports.find((r) => r.phase === 'verifying')?.runningVersion).toBe('0.2.0');
    expect(reports.filter((r) => r.phase === 'downloading').at(-1)?.progress).toBe(100);

    const slots = await agent.slotState();
    expect(slots).toMatchObject({
      committed: { slot: 'b', version: '0.2.0' },
      trial: null,
      lastResult: {
        outcome: 'committed',
        version: '0.2.0',
        deploymentId: instruction.deploymentId,
      },
    });
    expect((await agent.agent())?.dir).toBe(join(agent.stateDir, 'slots', 'b'));
    // The new version announces itself and polls the meter.
    const online = broker
      .presence(id)
      .filter((s) => s.state === 'online')
      .at(-1)!;
    expect(online.firmwareVersion).toBe('0.2.0');
    await agent.waitFor(
      () =>
        broker.collector.messages.find(
          (m) =>
            m.gatewayId === id &&
            m.channel === 'telemetry' &&
            m.message.bootId === online.bootId &&
            m.message.readings.length > 0,
        ),
      'telemetry from the new version',
    );
    // The download left nothing behind.
    expect(await readdir(join(agent.stateDir, 'ota', 'artifacts'))).toEqual([]);

    // The same instruction again (a redelivery, a control plane retry): reported, not redone.
    const requests = server.requests.length;
    await broker.send(id, instruction);
    await agent.waitFor(
      () =>
        broker.otaStatuses(id, instruction.deploymentId).filter((r) => r.phase === 'succeeded')
          .length >= 2
          ? true
          : undefined,
      'the outcome reported again',
    );
    expect(server.requests.length).toBe(requests);
    expect(await agent.slotState()).toMatchObject({ committed: { slot: 'b', version: '0.2.0' } });

    // The committed version takes the next release at once (it is no longer a trial): this one
    // crashes at start and is rolled back, but it is installed, not refused as BUSY.
    const nextId = `dep-${id}-next`;
    await broker.send(
      id,
      otaInstruction({
        deploymentId: nextId,
        manifest: signRelease(crash, releaseKey),
        downloadUrl: server.add(`${id}-crash.tar.gz`, crash.content),
      }),
    );
    const next = await broker.waitForOta(
      id,
      nextId,
      (s) => ['succeeded', 'failed', 'rolled_back'].includes(s.phase),
      90_000,
      context(agent),
    );
    expect(next).toMatchObject({ phase: 'rolled_back', runningVersion: '0.2.0' });
    expect(next.error?.code).toBe('TRIAL_FAILED');
    expect(await agent.slotState()).toMatchObject({
      committed: { slot: 'b', version: '0.2.0' },
      trial: null,
      lastResult: { outcome: 'rolled_back', version: '0.3.0', deploymentId: nextId },
    });
    const current = await agent.waitFor(
      () =>
        broker
          .presence(id)
          .filter((s) => s.state === 'online' && s.firmwareVersion === '0.2.0')
          .find((s) => s.bootId !== online.bootId),
      '0.2.0 online again after the rollback',
    );

    // SIGTERM to the supervisor stops the agent cleanly (retained offline status) and both exit.
    expect(await agent.stop()).toEqual({ code: 0, signal: null });
    await agent.waitFor(
      () => broker.presence(id).find((s) => s.state === 'offline' && s.bootId === current.bootId),
      'offline status of the stopped agent',
    );
  }, 180_000);
});

describe('agent releases that fail', () => {
  it('a release that crashes at start is rolled back by the supervisor and reported by the old version', async () => {
    const { id, agent } = await gateway();
    const url = server.add(`${id}-crash.tar.gz`, crash.content);
    const deploymentId = `dep-${id}`;
    await broker.send(
      id,
      otaInstruction({ deploymentId, manifest: signRelease(crash, releaseKey), downloadUrl: url }),
    );
    const done = await broker.waitForOta(id, deploymentId, 'rolled_back', 90_000, context(agent));
    expect(done.runningVersion).toBe('0.1.0');
    expect(done.error?.code).toBe('TRIAL_FAILED');
    expect(done.error?.message).toMatch(/trial of 0\.3\.0 exited \(code 1\) before committing/);
    expect(broker.phases(id, deploymentId)).toEqual([
      'downloading',
      'downloaded',
      'installing',
      'rebooting',
      'rolled_back',
    ]);
    expect(await agent.slotState()).toMatchObject({
      committed: { slot: 'a', version: '0.1.0' },
      trial: null,
      lastResult: { outcome: 'rolled_back', version: '0.3.0', deploymentId },
    });
    expect((await agent.agent())?.dir).toBe(join(agent.stateDir, 'slots', 'a'));
  }, 120_000);

  it('a release that never gets healthy gives itself up at the verify deadline; the old version reports why', async () => {
    const { id, agent } = await gateway();
    const url = server.add(`${id}-offline.tar.gz`, offline.content);
    const deploymentId = `dep-${id}`;
    await broker.send(
      id,
      otaInstruction({
        deploymentId,
        manifest: signRelease(offline, releaseKey),
        downloadUrl: url,
        timeouts: { downloadMs: 60_000, installMs: 60_000, verifyMs: 4_000 },
      }),
    );
    const done = await broker.waitForOta(id, deploymentId, 'rolled_back', 90_000, context(agent));
    expect(done.runningVersion).toBe('0.1.0');
    expect(done.error).toMatchObject({ code: 'HEALTH_CHECK_FAILED' });
    expect(done.error?.message).toMatch(
      /0\.4\.0 was not healthy within 4000 ms: not connected to the control plane/,
    );
    // The trial's own "verifying" waited in the outbox until the old version could deliver it.
    const reports = broker.otaStatuses(id, deploymentId);
    expect(reports.find((r) => r.phase === 'verifying')?.runningVersion).toBe('0.4.0');
    expect(broker.phases(id, deploymentId)).toEqual([
      'downloading',
      'downloaded',
      'installing',
      'rebooting',
      'verifying',
      'rolled_back',
    ]);
    expect(await agent.slotState()).toMatchObject({
      committed: { slot: 'a', version: '0.1.0' },
      trial: null,
      lastResult: { outcome: 'rolled_back', version: '0.4.0' },
    });
  }, 120_000);
});

describe('releases the gateway refuses', () => {
  it('refuses bad signatures, unknown and revoked keys, other models and hardware, too old a running version, downgrades and tampered artifacts; installs nothing', async () => {
    const { id, agent } = await gateway();
    const before = await agent.agent();
    const cases: {
      name: string;
      code: string;
      reason: RegExp;
      fetched: boolean;
      build: () => SignedManifestEnvelope;
    }[] = [
      {
        name: 'altered',
        code: 'BAD_SIGNATURE',
        reason: /signature does not verify/,
        fetched: false,
        build: () => {
          const envelope = signRelease(good, releaseKey);
          return {
            ...envelope,
            manifest: { ...envelope.manifest, releaseNotes: 'changed after signing' },
          };
        },
      },
      {
        name: 'unknown-key',
        code: 'UNKNOWN_KEY',
        reason: /not a trusted release key/,
        fetched: false,
        build: () => signRelease(good, generateReleaseKey()),
      },
      {
        name: 'revoked-key',
        code: 'REVOKED_KEY',
        reason: /has been revoked/,
        fetched: false,
        build: () => signRelease(good, revokedKey),
      },
      {
        name: 'wrong-model',
        code: 'WRONG_MODEL',
        reason: /is for models rpi4, rpi5, not linux-x64/,
        fetched: false,
        build: () => signRelease(good, releaseKey, { models: ['rpi4', 'rpi5'] }),
      },
      {
        name: 'wrong-hardware',
        code: 'WRONG_HARDWARE',
        reason: /is for hardware revisions 1\.4, 1\.5, not unknown/,
        fetched: false,
        build: () => signRelease(good, releaseKey, { hardwareRevisions: ['1.4', '1.5'] }),
      },
      {
        name: 'below-min-version',
        code: 'BELOW_MIN_VERSION',
        reason: /needs at least 0\.1\.5 installed; the gateway runs 0\.1\.0/,
        fetched: false,
        build: () => signRelease(good, releaseKey, { minVersion: '0.1.5' }),
      },
      {
        name: 'downgrade',
        code: 'DOWNGRADE',
        reason: /0\.0\.9 is older than the running 0\.1\.0/,
        fetched: false,
        build: () => signRelease(older, releaseKey),
      },
      {
        name: 'tampered',
        code: 'HASH_MISMATCH',
        reason: /SHA-256|sha256|hash/i,
        fetched: true,
        build: () => signRelease(good, releaseKey),
      },
    ];
    for (const c of cases) {
      const name = `${id}-${c.name}.tar.gz`;
      const bytes = Buffer.from(good.content);
      if (c.name === 'tampered') bytes[bytes.length >> 1] ^= 0xff;
      const url = server.add(name, bytes);
      const deploymentId = `dep-${id}-${c.name}`;
      await broker.send(
        id,
        otaInstruction({ deploymentId, manifest: c.build(), downloadUrl: url }),
      );
      const failed = await broker.waitForOta(id, deploymentId, 'failed', 30_000, context(agent));
      expect(failed.error?.code, c.name).toBe(c.code);
      expect(failed.error?.message, c.name).toMatch(c.reason);
      expect(failed.runningVersion).toBe('0.1.0');
      expect(server.requestsFor(name).length > 0, `${c.name} fetched`).toBe(c.fetched);
    }
    // Nothing was installed and the agent never restarted.
    expect(await agent.slotState()).toMatchObject({
      committed: { slot: 'a', version: '0.1.0' },
      trial: null,
      installing: null,
      slots: { b: null },
    });
    expect(await agent.agent()).toEqual(before);
    expect(await readdir(join(agent.stateDir, 'ota', 'artifacts'))).toEqual([]);

    // An explicitly allowed downgrade is installed.
    const url = server.add(`${id}-allowed-downgrade.tar.gz`, older.content);
    const deploymentId = `dep-${id}-allowed-downgrade`;
    await broker.send(
      id,
      otaInstruction({
        deploymentId,
        manifest: signRelease(older, releaseKey),
        downloadUrl: url,
        allowDowngrade: true,
      }),
    );
    const done = await broker.waitForOta(
      id,
      deploymentId,
      (s) => ['succeeded', 'failed', 'rolled_back'].includes(s.phase),
      90_000,
      context(agent),
    );
    expect(done).toMatchObject({ phase: 'succeeded', runningVersion: '0.0.9' });
  }, 180_000);

  it('refuses everything when no release keys are pinned, and agent bundles when not supervised', async () => {
    const { id, agent } = await gateway({});
    const url = server.add(`${id}-good.tar.gz`, good.content);
    await broker.send(
      id,
      otaInstruction({
        deploymentId: `dep-${id}`,
        manifest: signRelease(good, releaseKey),
        downloadUrl: url,
      }),
    );
    const failed = await broker.waitForOta(id, `dep-${id}`, 'failed', 30_000, context(agent));
    expect(failed.error).toMatchObject({ code: 'NO_RELEASE_KEYS' });
    expect(failed.error?.message).toMatch(
      /no release keys are pinned on this gateway \(GATEWAY_AGENT_RELEASE_KEYS\)/,
    );
    expect(server.requestsFor(`${id}-good.tar.gz`)).toEqual([]);
    await agent.stop();

    // `gateway-agent run` without the supervisor has no slots to install into.
    const plainId = nextGatewayId();
    const stateDir = join(work, plainId);
    writeIdentity(stateDir, {
      gatewayId: plainId,
      password: `password-of-${plainId}-x`,
      brokerUrl: broker.url,
    });
    broker.addGateway(plainId, `password-of-${plainId}-x`);
    const plain = AgentProcess.start(stateDir, { ...FAST_AGENT_ENV, ...keyEnv });
    await plain.waitForLog(
      (l) => l.msg === 'connected to the control plane',
      'plain agent connected',
      30_000,
    );
    await broker.send(
      plainId,
      otaInstruction({
        deploymentId: `dep-${plainId}`,
        manifest: signRelease(good, releaseKey),
        downloadUrl: url,
      }),
    );
    const refused = await broker.waitForOta(plainId, `dep-${plainId}`, 'failed', 30_000);
    expect(refused.error).toMatchObject({ code: 'NOT_SUPERVISED' });
    expect(refused.error?.message).toMatch(/not started by `gateway-agent supervise`/);
    await plain.stop();
  }, 120_000);
});

describe('downloads', () => {
  it('asks for a fresh URL when the token is refused, downloads ahead of the install, and cancels', async () => {
    const { id, agent } = await gateway();
    const name = `${id}-good.tar.gz`;
    const url = server.add(name, good.content, { tokens: ['fresh-token'] });
    const deploymentId = `dep-${id}`;
    const base = otaInstruction({
      deploymentId,
      action: 'download',
      manifest: signRelease(good, releaseKey),
      downloadUrl: url,
      token: 'expired-token',
    });
    await broker.send(id, base);
    const asked = await broker.waitForOta(
      id,
      deploymentId,
      (s) => s.error?.code === 'DOWNLOAD_URL_EXPIRED',
      30_000,
      context(agent),
    );
    expect(asked).toMatchObject({ phase: 'downloading', error: { retryable: true } });
    await broker.send(id, { ...base, token: 'fresh-token' });
    await broker.waitForOta(id, deploymentId, 'downloaded', 30_000, context(agent));
    expect(server.requestsFor(name).map((r) => [r.token, r.status])).toEqual([
      ['expired-token', 401],
      ['fresh-token', 200],
    ]);
    // Downloaded only: it waits for the install instruction (a maintenance window) and does not switch.
    expect(await agent.slotState()).toMatchObject({ slots: { b: null }, trial: null });
    await broker.send(id, { ...base, action: 'cancel' });
    const canceled = await broker.waitForOta(id, deploymentId, 'canceled', 30_000, context(agent));
    expect(canceled.runningVersion).toBe('0.1.0');
    expect(await readdir(join(agent.stateDir, 'ota', 'artifacts'))).toEqual([]);
    // A late install for a canceled deployment does nothing but repeat the outcome.
    await broker.send(id, { ...base, action: 'install', token: 'fresh-token' });
    await agent.waitFor(
      () =>
        broker.otaStatuses(id, deploymentId).filter((s) => s.phase === 'canceled').length >= 2
          ? true
          : undefined,
      'canceled reported again',
    );
    expect(await agent.slotState()).toMatchObject({ slots: { b: null }, trial: null });
  }, 120_000);

  it('a cancel stops a download under way', async () => {
    const { id, agent } = await gateway();
    const name = `${id}-good.tar.gz`;
    const url = server.add(name, good.content);
    server.stallAfter(name, 4096);
    const deploymentId = `dep-${id}`;
    const instruction = otaInstruction({
      deploymentId,
      manifest: signRelease(good, releaseKey),
      downloadUrl: url,
    });
    await broker.send(id, instruction);
    await agent.waitFor(async () => {
      const files = await readdir(join(agent.stateDir, 'ota', 'artifacts')).catch(() => []);
      return files.some((f) => f.endsWith('.part')) && server.requestsFor(name).length > 0
        ? true
        : undefined;
    }, 'the download under way');
    await broker.send(id, { ...instruction, action: 'cancel' });
    await broker.waitForOta(id, deploymentId, 'canceled', 30_000, context(agent));
    expect(broker.phases(id, deploymentId)).toEqual(['downloading', 'canceled']);
    expect(await readdir(join(agent.stateDir, 'ota', 'artifacts'))).toEqual([]);
    expect(await agent.slotState()).toMatchObject({ slots: { b: null }, trial: null });
  }, 120_000);
});
