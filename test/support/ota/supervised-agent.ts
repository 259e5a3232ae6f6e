// `gateway-agent supervise` as a real process (the supervisor, and the agent it runs from a slot),
// with its JSON log lines, the slot state and the agent's pid.
import { spawn, type ChildProcess } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AbSlotState } from '@fleet/firmware';
import { AGENT_BIN } from '../agent/agent-build.js';
import type { LogLine } from '../agent/agent-process.js';

const live = new Set<SupervisedAgent>();
process.once('exit', () => {
  for (const agent of live) agent.killNow();
});

function cleanEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env))
    if (v !== undefined && !k.startsWith('GATEWAY_AGENT_') && !k.startsWith('FLEET_SLOT_'))
      env[k] = v;
  return env;
}

export class SupervisedAgent {
  readonly lines: LogLine[] = [];
  other = '';
  private readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(
    readonly stateDir: string,
    private readonly child: ChildProcess,
  ) {
    live.add(this);
    if (child.stdout)
      createInterface({ input: child.stdout }).on('line', (line) => {
        try {
          this.lines.push(JSON.parse(line) as LogLine);
        } catch {
          this.other += `${line}\n`;
        }
      });
    child.stderr?.on('data', (d: Buffer) => {
      this.other += d.toString();
    });
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        resolve({ code, signal });
      });
    });
  }

  /** Starts `gateway-agent supervise --state-dir <stateDir>` with `env` (GATEWAY_AGENT_* settings). */
  static start(stateDir: string, env: Readonly<Record<string, string>> = {}): SupervisedAgent {
    const child = spawn(process.execPath, [AGENT_BIN, 'supervise', '--state-dir', stateDir], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...cleanEnv(), ...env },
    });
    return new SupervisedAgent(stateDir, child);
  }

  get supervisorPid(): number {
    return this.child.pid ?? -1;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  output(): string {
    return `${this.lines.map((l) => JSON.stringify(l)).join('\n')}\n${this.other}`;
  }

  async slotState(): Promise<AbSlotState | undefined> {
    try {
      return JSON.parse(
        await readFile(join(this.stateDir, 'slots/state.json'), 'utf8'),
      ) as AbSlotState;
    } catch {
      return undefined;
    }
  }

  /** The agent process the supervisor runs now, and its slot directory. */
  async agent(): Promise<{ pid: number; dir: string } | undefined> {
    try {
      return JSON.parse(await readFile(join(this.stateDir, 'slots/agent.pid'), 'utf8')) as {
        pid: number;
        dir: string;
      };
    } catch {
      return undefined;
    }
  }

  /** Polls `check` every `everyMs` until it returns a value; fails with the log after `timeoutMs`. */
  async waitFor<T>(
    check: () => Promise<T | undefined> | T | undefined,
    what: string,
    timeoutMs = 30_000,
    everyMs = 50,
  ): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await check();
      if (value !== undefined) return value;
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for ${what}\n${this.output().slice(-8000)}`);
      await sleep(everyMs);
    }
  }

  async waitForLog(
    predicate: (line: LogLine) => boolean,
    what: string,
    timeoutMs = 30_000,
  ): Promise<LogLine> {
    return this.waitFor(() => this.lines.find(predicate), what, timeoutMs);
  }

  /** SIGTERM to the supervisor (it stops the agent cleanly); SIGKILL to everything after the grace. */
  async stop(timeoutMs = 25_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.running) this.child.kill('SIGTERM');
    const timer = setTimeout(() => {
      this.killNow();
    }, timeoutMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
      await killProcessesMentioning(this.stateDir);
      live.delete(this);
    }
  }

  /** SIGKILL to the supervisor and every process started from this state directory. */
  async kill(): Promise<void> {
    this.killNow();
    await this.exited;
    await killProcessesMentioning(this.stateDir);
    live.delete(this);
  }

  killNow(): void {
    if (this.running) this.child.kill('SIGKILL');
  }
}

/** Kills (SIGKILL) every supervisor and agent these helpers started; for afterAll/afterEach. */
export async function killAllSupervised(): Promise<void> {
  await Promise.all([...live].map((agent) => agent.kill()));
}

/** Agents run as `node <stateDir>/slots/<x>/bin/gateway-agent.js run`: find them by their command line. */
export async function killProcessesMentioning(text: string): Promise<void> {
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    const cmdline = await readFile(`/proc/${name}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(text)) {
      try {
        process.kill(Number(name), 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}
