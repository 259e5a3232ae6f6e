import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect as netConnect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '@fleet/common';
import { buildDynsecBootstrap } from '../../../apps/control-plane/src/mqtt/dynsec-bootstrap.js';
import { freePort } from './free-port.js';

export const MOSQUITTO_BINARY = '/usr/sbin/mosquitto';

/**
 * A private Mosquitto for one test file: the shipped deploy/mosquitto/mosquitto.conf with its
 * listener replaced by 127.0.0.1:<random port> and its files moved to a temporary directory, and a
 * dynamic-security.json made by buildDynsecBootstrap. Never touches the system broker on 1883.
 */
export class MosquittoProcess {
  private child: ChildProcess | undefined;
  private stderr = '';
  port = 0;

  private constructor(
    readonly dir: string,
    readonly controlPlane: { username: string; password: string },
  ) {}

  static async start(): Promise<MosquittoProcess> {
    const dir = await mkdtemp(join(tmpdir(), 'fleet-mosquitto-'));
    const broker = new MosquittoProcess(dir, {
      username: 'fleet-control-plane',
      password: 'cp-secret-for-tests',
    });
    try {
      const dynsec = buildDynsecBootstrap({
        controlPlaneUsername: broker.controlPlane.username,
        controlPlanePassword: broker.controlPlane.password,
        adminUsername: 'admin',
        adminPassword: 'admin-secret-for-tests',
      });
      await writeFile(join(dir, 'dynamic-security.json'), JSON.stringify(dynsec, null, 2), {
        mode: 0o600,
      });
      broker.port = await freePort();
      await writeFile(join(dir, 'mosquitto.conf'), await broker.renderConfig(), 'utf8');
      await broker.spawn();
      return broker;
    } catch (error) {
      await broker.stop();
      throw error;
    }
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  /** Broker log so far (connection messages, dynsec actions), for failure messages. */
  get log(): string {
    return this.stderr;
  }

  /** Stops the broker process and keeps its files, for restart(). */
  async kill(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) =>
      child.once('exit', () => {
        resolve();
      }),
    );
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  }

  /** Starts the broker again on the same port with the same persistence and dynsec files. */
  async restart(): Promise<void> {
    await this.kill();
    await this.spawn();
  }

  async stop(): Promise<void> {
    await this.kill();
    await rm(this.dir, { recursive: true, force: true });
  }

  private async renderConfig(): Promise<string> {
    const shipped = await readFile(join(packageRoot(), 'deploy/mosquitto/mosquitto.conf'), 'utf8');
    const lines = shipped
      .split('\n')
      .filter((line) => !/^(listener|certfile|keyfile|cafile|tls_version)\b/.test(line))
      .map((line) => {
        if (line.startsWith('plugin_opt_config_file '))
          return `plugin_opt_config_file ${join(this.dir, 'dynamic-security.json')}`;
        if (line.startsWith('persistence_location ')) return `persistence_location ${this.dir}/`;
        // Autosave often so a kill -TERM loses nothing either way.
        if (line.startsWith('autosave_interval ')) return 'autosave_interval 1';
        return line;
      });
    lines.push(`listener ${this.port} 127.0.0.1`);
    // Started as root, Mosquitto would switch to the mosquitto user, who cannot read our temp files.
    lines.push(`user ${userInfo().username}`);
    return lines.join('\n');
  }

  private async spawn(): Promise<void> {
    const child = spawn(MOSQUITTO_BINARY, ['-c', join(this.dir, 'mosquitto.conf')], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    this.child = child;
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      this.stderr += chunk;
    });
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (child.exitCode !== null)
        throw new Error(`mosquitto exited with ${child.exitCode}:\n${this.stderr}`);
      if (await canConnect(this.port)) return;
      if (Date.now() > deadline)
        throw new Error(`mosquitto did not listen on ${this.port} within 10 s:\n${this.stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = netConnect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => {
      resolve(false);
    });
  });
}
