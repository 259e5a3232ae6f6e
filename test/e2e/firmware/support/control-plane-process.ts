// The built control plane (`dist/apps/control-plane/src/main.js`) as its own process, so a test can
// kill it with SIGKILL (nothing flushed, no shutdown hooks) and start it again on the same database,
// Redis prefix, data directory and ports.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { packageRoot } from '@fleet/common';
import { waitForHttp } from '../../../support/process.js';

const MAIN = join(packageRoot(), 'dist/apps/control-plane/src/main.js');

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

export class ControlPlaneProcess {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private text = '';

  /** `env` is the whole configuration (PORT and MQTT_PORT fixed, so clients and agents find it again). */
  constructor(private readonly env: Readonly<Record<string, string>>) {}

  get url(): string {
    return `http://127.0.0.1:${this.env.PORT}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Everything the process wrote, across restarts (for failure messages). */
  output(): string {
    return this.text;
  }

  /** Starts the process and resolves once it answers /health/ready. */
  async start(timeoutMs = 120_000): Promise<void> {
    if (this.child) throw new Error('the control plane is already running');
    const child = spawn(process.execPath, [MAIN], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    live.add(child);
    const keep = (chunk: Buffer) => {
      this.text = (this.text + chunk.toString()).slice(-200_000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    this.exited = new Promise((resolve) => {
      child.once('exit', () => {
        live.delete(child);
        if (this.child === child) this.child = undefined;
        resolve();
      });
    });
    await waitForHttp(`${this.url}/health/ready`, timeoutMs, () => this.text.slice(-8_000));
  }

  /** kill -9: the process gets no chance to finish anything. */
  async kill(): Promise<void> {
    this.child?.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM (a clean shutdown), SIGKILL after `graceMs`. */
  async stop(graceMs = 20_000): Promise<void> {
    const child = this.child;
    if (!child) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}
