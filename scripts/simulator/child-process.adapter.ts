import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';

export interface ManagedProcessOptions {
  name: string;
  args: readonly string[];
  /** The whole environment of the child (nothing is inherited implicitly). */
  env: Readonly<Record<string, string>>;
  /** stdout and stderr go here (appended). */
  logFile: string;
  cwd?: string;
}

/**
 * A child Node process whose output goes to a log file, stopped with SIGTERM and, after a grace
 * period, SIGKILL. It runs in its own process group, so a terminal's Ctrl-C reaches only the parent,
 * which stops its children in the order it chooses. Every process started here is also killed if
 * this process exits some other way, so a crashed demo or benchmark leaves nothing running.
 */
export class ManagedProcess {
  private static readonly live = new Set<ManagedProcess>();
  private readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
    private readonly log: WriteStream,
    readonly logFile: string,
  ) {
    ManagedProcess.live.add(this);
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        ManagedProcess.live.delete(this);
        resolve({ code, signal });
      });
    });
  }

  static async start(options: ManagedProcessOptions): Promise<ManagedProcess> {
    await mkdir(dirname(options.logFile), { recursive: true });
    const log = createWriteStream(options.logFile, { flags: 'a' });
    await new Promise<void>((resolve, reject) => {
      log.once('open', () => {
        resolve();
      });
      log.once('error', reject);
    });
    const child = spawn(process.execPath, [...options.args], {
      env: { ...options.env },
      cwd: options.cwd ?? process.cwd(),
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    child.stdout?.pipe(log, { end: false });
    child.stderr?.pipe(log, { end: false });
    const managed = new ManagedProcess(options.name, child, log, options.logFile);
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', () => {
        resolve();
      });
      child.once('error', reject);
    });
    return managed;
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get running(): boolean {
    return this.exitInfo === undefined;
  }

  /** Resolves when the process exits. */
  whenExited(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    return this.exited;
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves once it is gone. */
  async stop(graceMs = 20_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.running) this.child.kill('SIGTERM');
    const timer = setTimeout(() => {
      this.child.kill('SIGKILL');
    }, graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
      this.log.end();
    }
  }

  /** The last lines of its log, for error messages. */
  async tail(lines = 20): Promise<string> {
    const text = await readFile(this.logFile, 'utf8').catch(() => '');
    return text.trimEnd().split('\n').slice(-lines).join('\n');
  }

  /** Stops, gracefully, every process still running (those a caller did not stop itself). */
  static async stopAll(graceMs = 20_000): Promise<void> {
    await Promise.all([...ManagedProcess.live].map((p) => p.stop(graceMs)));
  }

  /** Kills everything still running (exit backstop). */
  static killAll(): void {
    for (const p of ManagedProcess.live) p.child.kill('SIGKILL');
  }
}

process.once('exit', () => {
  ManagedProcess.killAll();
});

export interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a Node script to completion (killed after `timeoutMs`) and returns its status and output. */
export function runNodeCommand(
  args: readonly string[],
  env: Readonly<Record<string, string>>,
  timeoutMs: number,
): Promise<CommandResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [...args],
      { env: { ...env }, timeout: timeoutMs, killSignal: 'SIGKILL' },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
        resolve({ code, stdout, stderr: stderr || (error && code === null ? error.message : '') });
      },
    );
  });
}
