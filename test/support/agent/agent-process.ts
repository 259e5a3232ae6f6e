// Runs the built gateway agent as a real child process and watches its JSON log lines.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { AGENT_BIN } from './agent-build.js';

export interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

const live = new Set<ChildProcess>();
// Backstop if a test run dies before its afterAll: never leave an agent behind.
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/** Runs a one-shot agent command (enroll, status, ...) and collects its output. */
export function runAgentCli(
  args: readonly string[],
  env: Readonly<Record<string, string>> = {},
  timeoutMs = 30_000,
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [AGENT_BIN, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...cleanEnv(), ...env },
    });
    live.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `gateway-agent ${args.join(' ')}: still running after ${timeoutMs} ms\n${stdout}\n${stderr}`,
        ),
      );
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      live.delete(child);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The environment without the caller's GATEWAY_AGENT_* settings, so tests start from defaults. */
function cleanEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !k.startsWith('GATEWAY_AGENT_') && !k.startsWith('FLEET_SLOT_'))
      env[k] = v;
  }
  return env;
}

/** `gateway-agent run` as a child process. */
export class AgentProcess {
  readonly lines: LogLine[] = [];
  /** Non-JSON output (stderr, crashes), for failure messages. */
  other = '';
  private waiters: { check: () => boolean; resolve: () => void }[] = [];
  private readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(private readonly child: ChildProcess) {
    live.add(child);
    if (child.stdout) {
      createInterface({ input: child.stdout }).on('line', (line) => {
        try {
          this.lines.push(JSON.parse(line) as LogLine);
        } catch {
          this.other += `${line}\n`;
        }
        this.wake();
      });
    }
    child.stderr?.on('data', (d: Buffer) => {
      this.other += d.toString();
    });
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        live.delete(child);
        resolve({ code, signal });
        this.wake();
      });
    });
  }

  static start(stateDir: string, env: Readonly<Record<string, string>> = {}): AgentProcess {
    const child = spawn(process.execPath, [AGENT_BIN, 'run', '--state-dir', stateDir], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...cleanEnv(), ...env },
    });
    return new AgentProcess(child);
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Everything logged so far, as text, for failure messages. */
  output(): string {
    return `${this.lines.map((l) => JSON.stringify(l)).join('\n')}\n${this.other}`;
  }

  async waitForLog(
    predicate: (line: LogLine) => boolean,
    what: string,
    timeoutMs = 15_000,
  ): Promise<LogLine> {
    let found: LogLine | undefined;
    await this.waitUntil(
      () => {
        found = this.lines.find(predicate);
        return found !== undefined;
      },
      what,
      timeoutMs,
    );
    return found!;
  }

  async waitUntil(check: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
    if (check()) return;
    let timer: NodeJS.Timeout | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        const waiter = { check, resolve };
        this.waiters.push(waiter);
        timer = setTimeout(() => {
          this.waiters = this.waiters.filter((w) => w !== waiter);
          reject(
            new Error(
              `timed out waiting for ${what}; agent output:\n${this.output().slice(-6000)}`,
            ),
          );
        }, timeoutMs);
      });
    } finally {
      clearTimeout(timer);
    }
  }

  /** Sends a signal and waits for the exit (SIGKILL after `timeoutMs`). */
  async stop(
    signal: NodeJS.Signals = 'SIGTERM',
    timeoutMs = 25_000,
  ): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.running) this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  private wake(): void {
    this.waiters = this.waiters.filter((w) => {
      if (!w.check()) return true;
      w.resolve();
      return false;
    });
  }
}

/** Kills every agent process this module started (for afterAll, also after failures). */
export async function killAllAgents(): Promise<void> {
  await Promise.all(
    [...live].map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) {
            live.delete(child);
            resolve();
            return;
          }
          child.once('exit', () => {
            live.delete(child);
            resolve();
          });
          child.kill('SIGKILL');
        }),
    ),
  );
}
