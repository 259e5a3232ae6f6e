import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, openSync, closeSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { digestFile, packAgentBundle, type FirmwareManifest } from '@fleet/firmware';
import { firmwareDistUrl } from './firmware-build.js';

/**
 * How a test agent behaves when it starts:
 * - good: commits if it is a trial, then keeps running and takes install requests;
 * - crash: exits with code 3 at once;
 * - hang: runs but never commits.
 */
export type AgentBehaviour = 'good' | 'crash' | 'hang';

/**
 * The test agent (entry `main.mjs`). It logs JSON lines to $EVENTS_FILE, uses TrialHandle to commit,
 * installs the bundle described in $CONTROL_DIR/install.json through AbSlotInstaller and exits with
 * RESTART_EXIT_CODE, like the real agent's OTA flow. `killAt` in the request kills the supervisor
 * (its parent) and itself with SIGKILL at that install step; `$CONTROL_DIR/kill-before-commit` does
 * the same when a trial starts, before it commits.
 */
const AGENT_SOURCE = `
import { appendFileSync, existsSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
const VERSION = '__VERSION__';
const BEHAVIOUR = '__BEHAVIOUR__';
const { TrialHandle, AbSlotInstaller, RESTART_EXIT_CODE } = await import(process.env.FIRMWARE_LIB_URL);
const handle = TrialHandle.fromEnv(process.env);
const control = process.env.CONTROL_DIR;
const log = (event, extra = {}) =>
  appendFileSync(
    process.env.EVENTS_FILE,
    JSON.stringify({ event, version: VERSION, slot: handle?.slot ?? null, trial: handle?.isTrial ?? false, pid: process.pid, ppid: process.ppid, ...extra }) + '\\n',
  );
const killAll = () => {
  try { process.kill(process.ppid, 'SIGKILL'); } catch {}
  process.kill(process.pid, 'SIGKILL');
};
log('start');
process.on('SIGTERM', () => { log('sigterm'); process.exit(0); });
if (BEHAVIOUR === 'crash') { log('crash'); process.exit(3); }
if (handle?.isTrial && existsSync(join(control, 'kill-before-commit'))) {
  rmSync(join(control, 'kill-before-commit'));
  log('killing', { step: 'before-commit' });
  killAll();
}
if (handle?.isTrial && BEHAVIOUR === 'good') {
  await handle.commit();
  log('committed');
}
let busy = false;
setInterval(async () => {
  const request = join(control, 'install.json');
  if (busy || !existsSync(request)) return;
  busy = true;
  const taken = request + '.' + process.pid;
  renameSync(request, taken);
  const { bundle, manifest, deploymentId, killAt, killAtEntry } = JSON.parse(readFileSync(taken, 'utf8'));
  let entries = 0;
  const installer = new AbSlotInstaller({
    stateDir: handle.stateDir,
    maxBootAttempts: Number(process.env.MAX_BOOT_ATTEMPTS ?? '2'),
    onStep: (step) => {
      if (step === 'install:unpacking') entries++;
      if (step === killAt && (step !== 'install:unpacking' || entries === (killAtEntry ?? 1))) {
        log('killing', { step });
        killAll();
      }
    },
  });
  try {
    await installer.install(bundle, manifest, { deploymentId });
    log('installed');
    process.exit(RESTART_EXIT_CODE);
  } catch (error) {
    log('install-failed', { code: error.code, message: error.message });
    busy = false;
  }
}, 50);
`;

/** Runs a SlotSupervisor from the compiled lib, as `gateway-agent supervise` will. */
const SUPERVISOR_SOURCE = `
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
const { AbSlotInstaller, SlotSupervisor } = await import(process.env.FIRMWARE_LIB_URL);
const [stateDir, healthDeadlineMs] = process.argv.slice(2);
const installer = new AbSlotInstaller({ stateDir, maxBootAttempts: Number(process.env.MAX_BOOT_ATTEMPTS ?? '2') });
const supervisor = new SlotSupervisor({
  installer,
  healthDeadlineMs: Number(healthDeadlineMs),
  restartBackoff: { initialMs: 50, maxMs: 400, resetAfterMs: 5000 },
  stopTimeoutMs: 3000,
  env: { ...process.env },
  stdio: 'inherit',
  onChange: (status) => writeFileSync(join(stateDir, 'supervisor-status.json'), JSON.stringify(status)),
});
supervisor.handleSignals(() => process.exit(0));
supervisor.run().catch((error) => {
  console.error('supervisor failed:', error.message);
  process.exit(1);
});
`;

export interface AgentEvent {
  readonly event: string;
  readonly version: string;
  readonly slot: string | null;
  readonly trial: boolean;
  readonly pid: number;
  readonly ppid: number;
  readonly step?: string;
  readonly code?: string;
}

export interface BuiltBundle {
  readonly path: string;
  /** Unsigned manifest describing the bundle (the installers check size and SHA-256). */
  readonly manifest: FirmwareManifest;
}

/** Writes a test agent tree (main.mjs plus some files, one symlink) and packs it as a bundle. */
export async function buildAgentBundle(
  workDir: string,
  version: string,
  behaviour: AgentBehaviour,
): Promise<BuiltBundle> {
  const src = join(workDir, `agent-src-${version}-${behaviour}`);
  await mkdir(join(src, 'lib', 'data'), { recursive: true });
  await writeFile(
    join(src, 'main.mjs'),
    AGENT_SOURCE.replace('__VERSION__', version).replace('__BEHAVIOUR__', behaviour),
  );
  for (let i = 0; i < 12; i++)
    await writeFile(join(src, 'lib', 'data', `table-${i}.json`), JSON.stringify({ i, version }));
  await writeFile(join(src, 'lib', 'README.txt'), `agent ${version}\n`);
  await symlink('lib/README.txt', join(src, 'README.txt'));
  const path = join(workDir, `agent-${version}-${behaviour}.tar.gz`);
  await packAgentBundle(src, version, path, { entry: 'main.mjs' });
  const digest = await digestFile(path);
  return {
    path,
    manifest: {
      version,
      kind: 'agent-bundle',
      models: ['edge-gw-test'],
      sha256: digest.sha256,
      size: digest.size,
      releaseNotes: `${behaviour} test agent`,
      createdAt: '2026-03-01T00:00:00.000Z',
    },
  };
}

/** One supervisor process plus the files the test agents report through. */
export class SupervisedGateway {
  readonly eventsFile: string;
  readonly controlDir: string;
  readonly logFile: string;
  private readonly supervisorScript: string;
  private supervisor: ChildProcess | undefined;
  private supervisorExit: Promise<number | null> | undefined;

  constructor(
    readonly stateDir: string,
    private readonly options: { healthDeadlineMs: number; maxBootAttempts?: number },
  ) {
    this.eventsFile = join(stateDir, 'events.jsonl');
    this.controlDir = join(stateDir, 'control');
    this.logFile = join(stateDir, 'supervisor.log');
    this.supervisorScript = join(stateDir, 'supervisor.mjs');
  }

  get supervisorPid(): number | undefined {
    return this.supervisor?.pid;
  }

  async startSupervisor(env: Record<string, string> = {}): Promise<void> {
    await mkdir(this.controlDir, { recursive: true });
    if (!existsSync(this.supervisorScript))
      await writeFile(this.supervisorScript, SUPERVISOR_SOURCE);
    const log = openSync(this.logFile, 'a');
    try {
      const child = spawn(
        process.execPath,
        [this.supervisorScript, this.stateDir, String(this.options.healthDeadlineMs)],
        {
          stdio: ['ignore', log, log],
          env: {
            ...process.env,
            FIRMWARE_LIB_URL: firmwareDistUrl,
            EVENTS_FILE: this.eventsFile,
            CONTROL_DIR: this.controlDir,
            MAX_BOOT_ATTEMPTS: String(this.options.maxBootAttempts ?? 2),
            ...env,
          },
        },
      );
      this.supervisor = child;
      this.supervisorExit = new Promise((resolve) =>
        child.once('exit', (code) => {
          resolve(code);
        }),
      );
    } finally {
      closeSync(log);
    }
  }

  /** Resolves with the supervisor's exit code (null when killed by a signal). */
  async supervisorExited(timeoutMs = 20_000): Promise<number | null> {
    if (!this.supervisorExit) throw new Error('supervisor not started');
    return withTimeout(
      this.supervisorExit,
      timeoutMs,
      `supervisor did not exit\n${await this.log()}`,
    );
  }

  signalSupervisor(signal: NodeJS.Signals): void {
    this.supervisor?.kill(signal);
  }

  async events(): Promise<AgentEvent[]> {
    const text = await readFile(this.eventsFile, 'utf8').catch(() => '');
    return text
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as AgentEvent);
  }

  /** Waits until an event matching `match` has been logged; returns the first one. */
  async waitForEvent(
    match: (e: AgentEvent) => boolean,
    what: string,
    timeoutMs = 20_000,
  ): Promise<AgentEvent> {
    const [found] = await this.waitForEvents(match, 1, what, timeoutMs);
    if (!found) throw new Error(`no ${what}`);
    return found;
  }

  /** Waits until `count` events match; returns all matching events. */
  async waitForEvents(
    match: (e: AgentEvent) => boolean,
    count: number,
    what: string,
    timeoutMs = 20_000,
  ): Promise<AgentEvent[]> {
    const giveUpAt = Date.now() + timeoutMs;
    for (;;) {
      const found = (await this.events()).filter(match);
      if (found.length >= count) return found;
      if (Date.now() > giveUpAt)
        throw new Error(
          `timed out waiting for ${what}\nevents:\n${JSON.stringify(await this.events(), null, 1)}\nlog:\n${await this.log()}`,
        );
      await sleep(25);
    }
  }

  async requestInstall(request: {
    bundle: BuiltBundle;
    deploymentId: string;
    killAt?: string;
    killAtEntry?: number;
  }): Promise<void> {
    const body = {
      bundle: request.bundle.path,
      manifest: request.bundle.manifest,
      deploymentId: request.deploymentId,
      ...(request.killAt ? { killAt: request.killAt } : {}),
      ...(request.killAtEntry ? { killAtEntry: request.killAtEntry } : {}),
    };
    const tmp = join(this.controlDir, 'install.json.tmp');
    await writeFile(tmp, JSON.stringify(body));
    await rename(tmp, join(this.controlDir, 'install.json'));
  }

  async killBeforeNextCommit(): Promise<void> {
    await writeFile(join(this.controlDir, 'kill-before-commit'), '');
  }

  async log(): Promise<string> {
    return readFile(this.logFile, 'utf8').catch(() => '');
  }

  /**
   * Kills the supervisor, then every process whose command line mentions this gateway's state
   * directory (agents run from its slots), including ones started a moment before. For afterEach.
   */
  async killEverything(): Promise<void> {
    this.supervisor?.kill('SIGKILL');
    if (this.supervisorExit) await this.supervisorExit;
    for (const pid of await processesMentioning(this.stateDir)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}

async function processesMentioning(text: string): Promise<number[]> {
  const pids: number[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    const cmdline = await readFile(`/proc/${name}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(text)) pids.push(Number(name));
  }
  return pids;
}

export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Waits until the process is gone (zombies of our own children excepted by the caller). */
export async function waitUntilGone(pid: number, timeoutMs = 10_000): Promise<void> {
  const giveUpAt = Date.now() + timeoutMs;
  while (isRunning(pid)) {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
    if (/^\d+ \(.*\) Z/.test(stat)) return;
    if (Date.now() > giveUpAt) throw new Error(`process ${pid} is still running`);
    await sleep(25);
  }
}

async function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          reject(new Error(message));
        }, ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
