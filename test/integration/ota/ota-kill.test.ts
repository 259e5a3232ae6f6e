// kill -9 at each step of an update, with real processes: the agent (and, for a power cut, its
// supervisor too) is frozen with SIGSTOP at the step, the step is checked from the outside, then
// SIGKILL. The gateway always ends on a working slot and reports what really happened.
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ReleaseKeyPair } from '@fleet/firmware';
import { ensureAgentBuilt } from '../../support/agent/agent-build.js';
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
import {
  killAllSupervised,
  SupervisedAgent,
  type SupervisedAgent as Supervised,
} from '../../support/ota/supervised-agent.js';

let work: string;
let broker: OtaTestBroker;
let server: ArtifactServer;
let key: ReleaseKeyPair;
let keyEnv: Record<string, string>;
let release: AgentRelease;
let padded: AgentRelease;
let count = 0;

beforeAll(async () => {
  ensureAgentBuilt();
  work = await mkdtemp(join(tmpdir(), 'ota-kill-'));
  key = generateReleaseKey();
  keyEnv = { GATEWAY_AGENT_RELEASE_KEYS: await writeReleaseKeys(join(work, 'keys'), [key]) };
  release = await buildAgentRelease(work, '0.2.0', 'good');
  // 24 MiB of incompressible padding: the install takes long enough to be caught half-way.
  padded = await buildAgentRelease(work, '0.5.0', 'good', { padBytes: 24 * 1024 * 1024 });
  broker = new OtaTestBroker();
  await broker.start();
  server = new ArtifactServer();
  await server.start();
}, 120_000);

afterEach(async () => {
  await killAllSupervised();
});

afterAll(async () => {
  await killAllSupervised();
  await server?.stop();
  await broker?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

async function gateway(): Promise<{ id: string; agent: Supervised }> {
  count += 1;
  const id = `gw-kill-${count}`;
  return {
    id,
    agent: await startSupervisedGateway({ broker, workDir: work, gatewayId: id, env: keyEnv }),
  };
}

function context(agent: Supervised): () => string {
  return () => agent.output().slice(-12_000);
}

function signal(pid: number, name: NodeJS.Signals): void {
  process.kill(pid, name);
}

async function exists(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined)) !== undefined;
}

describe('kill -9 during an update', () => {
  it('during the download: the restarted agent resumes from the offset it reached', async () => {
    const { id, agent } = await gateway();
    const name = `${id}.tar.gz`;
    const url = server.add(name, release.content);
    const cut = 65_536;
    server.stallAfter(name, cut);
    const deploymentId = `dep-${id}`;
    await broker.send(
      id,
      otaInstruction({ deploymentId, manifest: signRelease(release, key), downloadUrl: url }),
    );
    const part = join(agent.stateDir, 'ota', 'artifacts', `${deploymentId}.artifact.part`);
    await agent.waitFor(
      async () => ((await stat(part).catch(() => undefined))?.size === cut ? true : undefined),
      `${cut} bytes in the partial download`,
    );
    const first = (await agent.agent())!;
    signal(first.pid, 'SIGKILL');

    const done = await broker.waitForOta(
      id,
      deploymentId,
      (s) => ['succeeded', 'failed', 'rolled_back'].includes(s.phase),
      90_000,
      context(agent),
    );
    expect(done).toMatchObject({ phase: 'succeeded', runningVersion: '0.2.0' });
    const requests = server.requestsFor(name);
    expect(requests.map((r) => [r.range, r.status])).toEqual([
      [undefined, 200],
      [`bytes=${cut}-`, 206],
    ]);
    // The resumed request named the representation it continues, and nothing was fetched twice.
    expect(requests[1]!.ifRange).toMatch(/^"[0-9a-f]{16}"$/);
    expect(requests.reduce((sum, r) => sum + r.bytesSent, 0)).toBe(release.size);
    // After the restart the download reported where it resumed from.
    const resumed = broker
      .otaStatuses(id, deploymentId)
      .filter((s) => s.phase === 'downloading')
      .find((s) => s.ts > 0 && s.progress === Math.floor((cut / release.size) * 100));
    expect(resumed).toBeDefined();
    expect(await agent.slotState()).toMatchObject({ committed: { slot: 'b', version: '0.2.0' } });
  }, 150_000);

  it('while unpacking into the inactive slot: the old slot runs again and the interrupted install is reported', async () => {
    const { id, agent } = await gateway();
    const url = server.add(`${id}.tar.gz`, padded.content);
    const deploymentId = `dep-${id}`;
    await broker.send(
      id,
      otaInstruction({ deploymentId, manifest: signRelease(padded, key), downloadUrl: url }),
    );
    const slotsDir = join(agent.stateDir, 'slots');
    const first = (await agent.agent())!;
    await agent.waitFor(
      async () =>
        (await readdir(slotsDir)).some((n) => n.startsWith('.staging-b-')) ? true : undefined,
      'the unpack into slot b under way',
      60_000,
      2,
    );
    signal(first.pid, 'SIGSTOP');
    const frozen = await agent.slotState();
    expect(frozen?.installing, 'frozen half-way through the unpack').toMatchObject({
      slot: 'b',
      version: '0.5.0',
    });
    signal(first.pid, 'SIGKILL');

    const failed = await broker.waitForOta(
      id,
      deploymentId,
      (s) => ['succeeded', 'failed', 'rolled_back'].includes(s.phase),
      90_000,
      context(agent),
    );
    expect(failed).toMatchObject({
      phase: 'failed',
      runningVersion: '0.1.0',
      error: { code: 'INSTALL_INTERRUPTED' },
    });
    expect(failed.error?.message).toMatch(/install of 0\.5\.0 into slot b was interrupted/);
    const after = await agent.slotState();
    expect(after).toMatchObject({
      committed: { slot: 'a', version: '0.1.0' },
      trial: null,
      installing: null,
      booted: { slot: 'a', trial: false },
      lastResult: { outcome: 'install_failed', deploymentId },
    });
    expect((await readdir(slotsDir)).filter((n) => n.startsWith('.'))).toEqual([]);
    const now = (await agent.agent())!;
    expect(now.pid).not.toBe(first.pid);
    expect(now.dir).toBe(join(slotsDir, 'a'));
  }, 150_000);

  it('after the switch was recorded but before the restart: the new version starts, verifies and commits', async () => {
    const { id, agent } = await gateway();
    const url = server.add(`${id}.tar.gz`, release.content);
    const deploymentId = `dep-${id}`;
    const first = (await agent.agent())!;
    await broker.send(
      id,
      otaInstruction({ deploymentId, manifest: signRelease(release, key), downloadUrl: url }),
    );
    await agent.waitFor(
      async () => ((await agent.slotState())?.trial ? true : undefined),
      'the trial recorded',
      60_000,
      2,
    );
    signal(first.pid, 'SIGSTOP');
    expect((await agent.agent())?.pid, 'the old agent has not exited yet').toBe(first.pid);
    signal(first.pid, 'SIGKILL');

    const done = await broker.waitForOta(
      id,
      deploymentId,
      (s) => ['succeeded', 'failed', 'rolled_back'].includes(s.phase),
      90_000,
      context(agent),
    );
    expect(done).toMatchObject({ phase: 'succeeded', runningVersion: '0.2.0' });
    expect(await agent.slotState()).toMatchObject({
      committed: { slot: 'b', version: '0.2.0' },
      trial: null,
    });
  }, 150_000);

  it('the trial before it commits: the supervisor rolls back and the old version reports it', async () => {
    const { id, agent } = await gateway();
    const url = server.add(`${id}.tar.gz`, release.content);
    const deploymentId = `dep-${id}`;
    await broker.send(
      id,
      otaInstruction({ deploymentId, manifest: signRelease(release, key), downloadUrl: url }),
    );
    const trial = await agent.waitFor(
      async () => {
        const running = await agent.agent();
        return running?.dir.endsWith('/slots/b') ? running : undefined;
      },
      'the trial started',
      60_000,
      2,
    );
    signal(trial.pid, 'SIGSTOP');
    expect((await agent.slotState())?.trial, 'frozen before its commit').toMatchObject({
      version: '0.2.0',
    });
    signal(trial.pid, 'SIGKILL');

    const done = await broker.waitForOta(
      id,
      deploymentId,
      (s) => ['succeeded', 'failed', 'rolled_back'].includes(s.phase),
      90_000,
      context(agent),
    );
    expect(done).toMatchObject({
      phase: 'rolled_back',
      runningVersion: '0.1.0',
      error: { code: 'TRIAL_FAILED' },
    });
    expect(done.error?.message).toMatch(/exited \(signal SIGKILL\) before committing/);
    expect(await agent.slotState()).toMatchObject({
      committed: { slot: 'a', version: '0.1.0' },
      trial: null,
      lastResult: { outcome: 'rolled_back', deploymentId },
    });
  }, 150_000);

  it('power cut (supervisor and trial killed) before the commit: the next boot tries the trial again and commits', async () => {
    const { id, agent } = await gateway();
    const url = server.add(`${id}.tar.gz`, release.content);
    const deploymentId = `dep-${id}`;
    await broker.send(
      id,
      otaInstruction({ deploymentId, manifest: signRelease(release, key), downloadUrl: url }),
    );
    const trial = await agent.waitFor(
      async () => {
        const running = await agent.agent();
        return running?.dir.endsWith('/slots/b') ? running : undefined;
      },
      'the trial started',
      60_000,
      2,
    );
    signal(agent.supervisorPid, 'SIGSTOP');
    signal(trial.pid, 'SIGSTOP');
    expect((await agent.slotState())?.trial).toMatchObject({ version: '0.2.0', attempts: 1 });
    await agent.kill();

    // systemd starts the service again: boot attempt 2 of the same trial.
    const again = SupervisedAgent.start(agent.stateDir, { ...FAST_AGENT_ENV, ...keyEnv });
    const done = await broker.waitForOta(
      id,
      deploymentId,
      (s) => ['succeeded', 'failed', 'rolled_back'].includes(s.phase),
      90_000,
      context(again),
    );
    expect(done).toMatchObject({ phase: 'succeeded', runningVersion: '0.2.0' });
    expect(await again.slotState()).toMatchObject({
      committed: { slot: 'b', version: '0.2.0' },
      trial: null,
      lastResult: { outcome: 'committed', deploymentId },
    });
    expect(await exists(join(agent.stateDir, 'slots', 'a', 'bin', 'gateway-agent.js'))).toBe(true);
  }, 150_000);
});
