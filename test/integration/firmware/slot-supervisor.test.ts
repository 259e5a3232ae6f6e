import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AbSlotInstaller } from '@fleet/firmware';
import {
  buildAgentBundle,
  isRunning,
  SupervisedGateway,
  waitUntilGone,
  type AgentEvent,
  type BuiltBundle,
} from '../../support/firmware/agent-fixtures.js';
import { ensureFirmwareBuilt } from '../../support/firmware/firmware-build.js';

// Real processes: a supervisor (compiled lib) starting test agents from A/B slots, kill -9 included.

let work: string;
let v1: BuiltBundle;
let v2: BuiltBundle;
let v2crash: BuiltBundle;
let v2hang: BuiltBundle;
let v1crash: BuiltBundle;
const gateways: SupervisedGateway[] = [];

beforeAll(async () => {
  ensureFirmwareBuilt();
  work = await mkdtemp(join(tmpdir(), 'fw-sup-'));
  v1 = await buildAgentBundle(work, '1.0.0', 'good');
  v2 = await buildAgentBundle(work, '1.1.0', 'good');
  v2crash = await buildAgentBundle(work, '1.1.0', 'crash');
  v2hang = await buildAgentBundle(work, '1.1.0', 'hang');
  v1crash = await buildAgentBundle(work, '1.0.0', 'crash');
}, 180_000);

afterEach(async () => {
  for (const gateway of gateways.splice(0)) await gateway.killEverything();
});

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

/** A gateway seeded with v1 and its supervisor running v1. */
async function gatewayOnV1(
  options: {
    healthDeadlineMs?: number;
    maxBootAttempts?: number;
  } = {},
): Promise<{ gateway: SupervisedGateway; installer: AbSlotInstaller; first: AgentEvent }> {
  const stateDir = await mkdtemp(join(work, 'gw-'));
  const installer = new AbSlotInstaller({ stateDir });
  await installer.seed(v1.path);
  const gateway = new SupervisedGateway(stateDir, {
    healthDeadlineMs: options.healthDeadlineMs ?? 20_000,
    ...(options.maxBootAttempts ? { maxBootAttempts: options.maxBootAttempts } : {}),
  });
  gateways.push(gateway);
  await gateway.startSupervisor();
  const first = await gateway.waitForEvent(
    (e) => e.event === 'start' && e.version === '1.0.0',
    'v1 to start',
  );
  return { gateway, installer, first };
}

async function supervisorStatus(gateway: SupervisedGateway): Promise<Record<string, unknown>> {
  return JSON.parse(
    await readFile(join(gateway.stateDir, 'supervisor-status.json'), 'utf8'),
  ) as Record<string, unknown>;
}

describe('SlotSupervisor with real agent processes', () => {
  it('a good release starts as a trial, commits itself and keeps running; SIGTERM stops everything', async () => {
    const { gateway, installer } = await gatewayOnV1();
    await gateway.requestInstall({ bundle: v2, deploymentId: 'dep-good' });
    await gateway.waitForEvent(
      (e) => e.event === 'installed' && e.version === '1.0.0',
      'v1 to install v2',
    );
    const started = await gateway.waitForEvent(
      (e) => e.event === 'start' && e.version === '1.1.0',
      'v2 to start',
    );
    expect(started).toMatchObject({ slot: 'b', trial: true });
    const committed = await gateway.waitForEvent((e) => e.event === 'committed', 'v2 to commit');

    const status = await installer.status();
    expect(status.committed).toEqual({ slot: 'b', version: '1.1.0' });
    expect(status.running).toEqual({ slot: 'b', version: '1.1.0', trial: false });
    expect(status.trial).toBeNull();
    expect(status.lastResult).toMatchObject({
      outcome: 'committed',
      version: '1.1.0',
      deploymentId: 'dep-good',
    });
    expect(isRunning(committed.pid)).toBe(true);
    expect(await supervisorStatus(gateway)).toMatchObject({
      state: 'running',
      version: '1.1.0',
      slot: 'b',
    });

    gateway.signalSupervisor('SIGTERM');
    expect(await gateway.supervisorExited()).toBe(0);
    await gateway.waitForEvent(
      (e) => e.event === 'sigterm' && e.pid === committed.pid,
      'v2 to get SIGTERM',
    );
    await waitUntilGone(committed.pid);
  });

  it('a release that crashes at start is rolled back to the old slot by the supervisor', async () => {
    const { gateway, installer, first } = await gatewayOnV1();
    await gateway.requestInstall({ bundle: v2crash, deploymentId: 'dep-crash' });
    const crash = await gateway.waitForEvent(
      (e) => e.event === 'crash' && e.version === '1.1.0',
      'v2 to crash',
    );
    expect(crash).toMatchObject({ slot: 'b', trial: true });
    const again = await gateway.waitForEvent(
      (e) => e.event === 'start' && e.version === '1.0.0' && e.pid !== first.pid,
      'v1 to run again',
    );
    expect(again).toMatchObject({ slot: 'a', trial: false });
    // Rolled back after the first failed start: the crashing release was not started again.
    expect((await gateway.events()).filter((e) => e.event === 'crash')).toHaveLength(1);

    const status = await installer.status();
    expect(status.committed).toEqual({ slot: 'a', version: '1.0.0' });
    expect(status.running).toEqual({ slot: 'a', version: '1.0.0', trial: false });
    expect(status.trial).toBeNull();
    expect(status.lastResult).toMatchObject({
      outcome: 'rolled_back',
      version: '1.1.0',
      deploymentId: 'dep-crash',
    });
    expect(status.lastResult?.reason).toMatch(/exited \(code 3\) before committing/);
  });

  it('a release that never commits is stopped at the health deadline and rolled back', async () => {
    const { gateway, installer, first } = await gatewayOnV1({ healthDeadlineMs: 1500 });
    await gateway.requestInstall({ bundle: v2hang, deploymentId: 'dep-hang' });
    const trial = await gateway.waitForEvent(
      (e) => e.event === 'start' && e.version === '1.1.0',
      'v2 to start',
    );
    await gateway.waitForEvent(
      (e) => e.event === 'sigterm' && e.pid === trial.pid,
      'v2 to be stopped',
    );
    const again = await gateway.waitForEvent(
      (e) => e.event === 'start' && e.version === '1.0.0' && e.pid !== first.pid,
      'v1 to run again',
    );
    expect(again).toMatchObject({ slot: 'a', trial: false });
    const status = await installer.status();
    expect(status.committed).toEqual({ slot: 'a', version: '1.0.0' });
    expect(status.lastResult).toMatchObject({ outcome: 'rolled_back', deploymentId: 'dep-hang' });
    expect(status.lastResult?.reason).toMatch(
      /did not commit within the 1500 ms health-check deadline/,
    );
    expect(await supervisorStatus(gateway)).toMatchObject({
      version: '1.0.0',
      lastRollback: { version: '1.1.0' },
    });
  });
});

describe('SlotSupervisor restarts', () => {
  it('restarts a crashing committed agent with backoff and stops cleanly on SIGINT', async () => {
    const stateDir = await mkdtemp(join(work, 'gw-'));
    await new AbSlotInstaller({ stateDir }).seed(v1crash.path);
    const gateway = new SupervisedGateway(stateDir, { healthDeadlineMs: 20_000 });
    gateways.push(gateway);
    await gateway.startSupervisor();
    await gateway.waitForEvents((e) => e.event === 'crash', 3, 'three crashes');
    const status = await supervisorStatus(gateway);
    expect(status.restarts).toBeGreaterThanOrEqual(2);
    expect(status).toMatchObject({
      slot: 'a',
      version: '1.0.0',
      trial: false,
      lastExit: { code: 3 },
    });
    gateway.signalSupervisor('SIGINT');
    expect(await gateway.supervisorExited()).toBe(0);
  });
});

describe('kill -9 of supervisor and agent, then restart', () => {
  it('during unpack: the old slot runs and the install is reported as interrupted', async () => {
    const { gateway, installer } = await gatewayOnV1();
    await gateway.requestInstall({
      bundle: v2,
      deploymentId: 'dep-unpack',
      killAt: 'install:unpacking',
      killAtEntry: 4,
    });
    const killed = await gateway.waitForEvent(
      (e) => e.event === 'killing',
      'the kill during unpack',
    );
    expect(await gateway.supervisorExited()).toBeNull();
    await waitUntilGone(killed.pid);
    expect((await installer.status()).running?.version).toBe('1.0.0');

    await gateway.startSupervisor();
    const restarted = await gateway.waitForEvent(
      (e) => e.event === 'start' && e.ppid === gateway.supervisorPid,
      'an agent under the new supervisor',
    );
    expect(restarted).toMatchObject({ version: '1.0.0', slot: 'a', trial: false });
    const status = await installer.status();
    expect(status).toMatchObject({
      committed: { slot: 'a', version: '1.0.0' },
      trial: null,
      slots: { a: '1.0.0', b: null },
      lastResult: { outcome: 'install_failed', version: '1.1.0', deploymentId: 'dep-unpack' },
    });
    expect(status.lastResult?.reason).toMatch(/interrupted/);

    // The gateway is not stuck: the same release installs cleanly afterwards.
    await gateway.requestInstall({ bundle: v2, deploymentId: 'dep-unpack-retry' });
    await gateway.waitForEvent(
      (e) => e.event === 'committed' && e.version === '1.1.0',
      'v2 to commit',
    );
    expect((await installer.status()).committed).toEqual({ slot: 'b', version: '1.1.0' });
  });

  it('after the switch: the trial starts on restart and commits', async () => {
    const { gateway, installer } = await gatewayOnV1();
    await gateway.requestInstall({
      bundle: v2,
      deploymentId: 'dep-switch',
      killAt: 'install:switched',
    });
    const killed = await gateway.waitForEvent(
      (e) => e.event === 'killing',
      'the kill after the switch',
    );
    expect(await gateway.supervisorExited()).toBeNull();
    await waitUntilGone(killed.pid);
    expect((await installer.status()).trial).toMatchObject({
      slot: 'b',
      version: '1.1.0',
      attempts: 0,
    });

    await gateway.startSupervisor();
    const trial = await gateway.waitForEvent(
      (e) => e.event === 'start' && e.ppid === gateway.supervisorPid,
      'the trial under the new supervisor',
    );
    expect(trial).toMatchObject({ version: '1.1.0', slot: 'b', trial: true });
    await gateway.waitForEvent(
      (e) => e.event === 'committed' && e.pid === trial.pid,
      'v2 to commit',
    );
    expect(await installer.status()).toMatchObject({
      committed: { slot: 'b', version: '1.1.0' },
      lastResult: { outcome: 'committed', deploymentId: 'dep-switch' },
    });
  });

  it('before commit, with boots left: the trial boots again and commits', async () => {
    const { gateway, installer } = await gatewayOnV1({ maxBootAttempts: 2 });
    await gateway.killBeforeNextCommit();
    await gateway.requestInstall({ bundle: v2, deploymentId: 'dep-commit' });
    const killed = await gateway.waitForEvent(
      (e) => e.event === 'killing',
      'the kill before commit',
    );
    expect(killed).toMatchObject({ version: '1.1.0', trial: true });
    expect(await gateway.supervisorExited()).toBeNull();
    await waitUntilGone(killed.pid);
    expect((await installer.status()).trial).toMatchObject({ version: '1.1.0', attempts: 1 });

    await gateway.startSupervisor();
    await gateway.waitForEvent(
      (e) => e.event === 'committed' && e.ppid === gateway.supervisorPid,
      'the second boot of the trial to commit',
    );
    expect(await installer.status()).toMatchObject({
      committed: { slot: 'b', version: '1.1.0' },
      lastResult: { outcome: 'committed', deploymentId: 'dep-commit' },
    });
  });

  it('before commit, boot budget used up: restart rolls back and says so', async () => {
    const { gateway, installer } = await gatewayOnV1({ maxBootAttempts: 1 });
    await gateway.killBeforeNextCommit();
    await gateway.requestInstall({ bundle: v2, deploymentId: 'dep-budget' });
    const killed = await gateway.waitForEvent(
      (e) => e.event === 'killing',
      'the kill before commit',
    );
    expect(await gateway.supervisorExited()).toBeNull();
    await waitUntilGone(killed.pid);

    await gateway.startSupervisor();
    const restarted = await gateway.waitForEvent(
      (e) => e.event === 'start' && e.ppid === gateway.supervisorPid,
      'an agent under the new supervisor',
    );
    expect(restarted).toMatchObject({ version: '1.0.0', slot: 'a', trial: false });
    const status = await installer.status();
    expect(status).toMatchObject({
      committed: { slot: 'a', version: '1.0.0' },
      running: { slot: 'a', version: '1.0.0', trial: false },
      trial: null,
      lastResult: { outcome: 'rolled_back', version: '1.1.0', deploymentId: 'dep-budget' },
    });
    expect(status.lastResult?.reason).toMatch(/did not commit within 1 boot attempt/);
  });

  it('supervisor alone killed: the new supervisor stops the orphaned agent before starting one', async () => {
    const { gateway } = await gatewayOnV1();
    const first = await gateway.waitForEvent((e) => e.event === 'start', 'v1');
    gateway.signalSupervisor('SIGKILL');
    expect(await gateway.supervisorExited()).toBeNull();
    expect(isRunning(first.pid)).toBe(true);

    await gateway.startSupervisor();
    const second = await gateway.waitForEvent(
      (e) => e.event === 'start' && e.ppid === gateway.supervisorPid,
      'an agent under the new supervisor',
    );
    await waitUntilGone(first.pid);
    expect(second.pid).not.toBe(first.pid);
    expect(isRunning(second.pid)).toBe(true);
  });
});
