import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '@fleet/common';
import { ChaosError } from './chaos.error.js';

/**
 * The built control plane (dist/apps/control-plane/src/main.js, API + worker + embedded broker)
 * as a child process that can be killed with SIGKILL, stopped with SIGTERM and started again on
 * the same configuration and ports.
 */
export class ControlPlaneProcess {
  private child: ChildProcess | undefined;
  private log: WriteStream;
  private tail = '';
  private stopping = false;
  /** Exits nobody asked for (crashes), with the last lines logged before each. */
  readonly crashes: string[] = [];
  readonly url: string;

  constructor(
    private readonly env: Readonly<Record<string, string>>,
    logFile: string,
  ) {
    this.url = `http://127.0.0.1:${env.PORT}`;
    this.log = createWriteStream(logFile, { flags: 'w' });
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return (
      this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null
    );
  }

  /** Starts it and waits until /health/ready answers 200. */
  async start(readyTimeoutMs = 120_000): Promise<void> {
    const main = join(packageRoot(), 'dist', 'apps', 'control-plane', 'src', 'main.js');
    const child = spawn(process.execPath, [main], {
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: process.env.HOME ?? '/tmp',
        ...this.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.stopping = false;
    child.once('exit', (code, signal) => {
      if (!this.stopping) this.crashes.push(`exit ${code ?? signal}: ${this.tail.slice(-600)}`);
    });
    const keep = (d: Buffer): void => {
      this.log.write(d);
      this.tail = (this.tail + d.toString()).slice(-3000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    const deadline = Date.now() + readyTimeoutMs;
    let last: string;
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new ChaosError(
          `the control plane exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${this.tail}`,
          1,
        );
      }
      try {
        const res = await fetch(`${this.url}/health/ready`, { signal: AbortSignal.timeout(2_000) });
        if (res.ok) return;
        last = `HTTP ${res.status}`;
      } catch (error) {
        last = (error as Error).message;
      }
      if (Date.now() > deadline) {
        await this.stop('SIGKILL');
        throw new ChaosError(`the control plane was not ready in time (${last}):\n${this.tail}`, 1);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  /** Sends the signal and waits for the exit (SIGKILL after 20 s). */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    this.stopping = true;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      child.kill(signal);
    });
  }

  async close(): Promise<void> {
    await this.stop('SIGTERM');
    await new Promise<void>((resolve) => this.log.end(resolve));
  }
}
