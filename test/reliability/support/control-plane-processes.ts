import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '@fleet/common';
import { deleteRedisPrefix, REDIS_URL } from '../../support/control-plane.js';
import { apiClient, bearer, type ApiClient } from '../../support/http.js';
import { MosquittoProcess } from '../../support/mqtt/mosquitto-process.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.js';
import { collectOutput, freePort, waitForHttp } from '../../support/process.js';

const MAIN = join(packageRoot(), 'dist/apps/control-plane/src/main.js');
const WORKER = join(packageRoot(), 'dist/apps/control-plane/src/worker.js');

export type Role = 'all' | 'api' | 'worker';

/** One control-plane process of the cluster (built output in dist/, as `npm start` runs it). */
export class ControlPlaneProcess {
  private exited: Promise<void>;
  readonly output: () => string;

  constructor(
    readonly name: string,
    readonly role: Role,
    readonly child: ChildProcess,
    /** Base URL of its HTTP API (roles all and api). */
    readonly url: string,
  ) {
    this.output = collectOutput(child);
    this.exited = new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve();
      else
        child.once('exit', () => {
          resolve();
        });
    });
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** kill -9: no shutdown hooks, no goodbye to Redis, the broker or Postgres. */
  async kill(): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }

  /** Graceful stop (SIGTERM), SIGKILL after 10 s. */
  async stop(): Promise<void> {
    if (!this.running) return;
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    this.child.kill('SIGTERM');
    await this.exited;
    clearTimeout(timer);
  }
}

/**
 * Control-plane processes sharing one Postgres database, one Redis key prefix and one private
 * Mosquitto (the external broker that separate API and worker processes need), like replicas in
 * production. Each process has its own MQTT client id; `start` with the same name reuses it, so a
 * restarted process resumes its persistent broker session.
 */
export class ControlPlaneCluster {
  readonly processes: ControlPlaneProcess[] = [];
  private constructor(
    readonly db: TestDatabase,
    readonly broker: MosquittoProcess,
    readonly redisPrefix: string,
    readonly dataDir: string,
    readonly httpPort: number,
    private readonly env: Record<string, string>,
  ) {}

  static async create(env: Record<string, string> = {}): Promise<ControlPlaneCluster> {
    const db = await createTestDatabase();
    const broker = await MosquittoProcess.start().catch(async (error: unknown) => {
      await db.drop();
      throw error;
    });
    const dataDir = await mkdtemp(join(tmpdir(), 'fleet-cluster-'));
    return new ControlPlaneCluster(
      db,
      broker,
      `fleet-t-${randomBytes(4).toString('hex')}`,
      dataDir,
      await freePort(),
      env,
    );
  }

  get url(): string {
    return `http://127.0.0.1:${this.httpPort}`;
  }

  /**
   * Starts a process and waits until it serves (API) or its workers run (worker). API processes
   * listen on the cluster's port unless `port` names another (a second API replica).
   */
  async start(
    name: string,
    role: Role,
    extra: Record<string, string> = {},
    port = this.httpPort,
  ): Promise<ControlPlaneProcess> {
    const child = spawn(process.execPath, [role === 'worker' ? WORKER : MAIN], {
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/tmp',
        TZ: 'UTC',
        NODE_ENV: 'production',
        PROCESS_ROLE: role,
        HOST: '127.0.0.1',
        PORT: role === 'worker' ? '0' : String(port),
        DATABASE_URL: this.db.url,
        DATABASE_POOL_SIZE: '5',
        REDIS_URL,
        REDIS_PREFIX: this.redisPrefix,
        DATA_DIR: join(this.dataDir, name),
        ADMIN_TOKEN_FILE: join(this.dataDir, 'admin-token'),
        LOG_LEVEL: 'info',
        MQTT_URL: this.broker.url,
        MQTT_USERNAME: this.broker.controlPlane.username,
        MQTT_PASSWORD: this.broker.controlPlane.password,
        MQTT_CLIENT_ID: `cp-${name}-${this.redisPrefix}`,
        ...this.env,
        ...extra,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const proc = new ControlPlaneProcess(name, role, child, `http://127.0.0.1:${port}`);
    this.processes.push(proc);
    if (role === 'worker') await waitForOutput(proc, 'workers started', 90_000);
    else await waitForHttp(`${proc.url}/health/ready`, 90_000, proc.output);
    return proc;
  }

  /** The platform administrator's client (the token the first process wrote). */
  async platform(): Promise<ApiClient> {
    const token = (await readFile(join(this.dataDir, 'admin-token'), 'utf8')).trim();
    return apiClient(this.url, bearer(token));
  }

  async close(): Promise<void> {
    for (const proc of this.processes) await proc.kill().catch(() => undefined);
    await this.broker.stop().catch(() => undefined);
    await this.db.drop().catch(() => undefined);
    await deleteRedisPrefix(this.redisPrefix).catch(() => undefined);
    await rm(this.dataDir, { recursive: true, force: true });
  }
}

async function waitForOutput(
  proc: ControlPlaneProcess,
  text: string,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!proc.output().includes(text)) {
    if (!proc.running) throw new Error(`${proc.name} exited before "${text}":\n${proc.output()}`);
    if (Date.now() > deadline)
      throw new Error(
        `${proc.name}: no "${text}" after ${timeoutMs} ms:\n${proc.output().slice(-4000)}`,
      );
    await new Promise((r) => setTimeout(r, 100));
  }
}
