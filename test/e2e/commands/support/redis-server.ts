import { spawn, type ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import { freePort } from '../../../support/process.js';

/**
 * A private redis-server on a random port, without persistence (like the deployment's), for tests
 * that wipe Redis: FLUSHALL here never touches the machine's shared Redis.
 */
export class RedisServer {
  private output = '';

  private constructor(
    private child: ChildProcess,
    readonly port: number,
  ) {}

  static async start(): Promise<RedisServer> {
    const port = await freePort();
    const server = new RedisServer(spawnRedis(port), port);
    await server.ready();
    return server;
  }

  private async ready(): Promise<void> {
    const child = this.child;
    child.stdout?.on('data', (d: Buffer) => (this.output += d.toString()));
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`redis-server exited: ${this.output}`);
      try {
        await this.run((r) => r.ping());
        return;
      } catch {
        if (Date.now() > deadline) {
          await this.stop();
          throw new Error(`redis-server not ready on ${this.port}: ${this.output}`);
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async run<T>(action: (redis: Redis) => Promise<T>): Promise<T> {
    const redis = new Redis(this.url, {
      lazyConnect: true,
      maxRetriesPerRequest: 1,
      connectTimeout: 1_000,
    });
    redis.on('error', () => undefined);
    try {
      await redis.connect();
      return await action(redis);
    } finally {
      redis.disconnect();
    }
  }

  /** Loses everything, as a Redis without persistence does on a restart. */
  flushAll(): Promise<'OK'> {
    return this.run((r) => r.flushall());
  }

  /** kill -9, then a fresh, empty redis-server on the same port after `downMs`. */
  async crashAndRestart(downMs: number): Promise<void> {
    const child = this.child;
    const exited = new Promise<void>((resolve) => {
      child.once('exit', () => {
        resolve();
      });
    });
    child.kill('SIGKILL');
    await exited;
    await new Promise((r) => setTimeout(r, downMs));
    this.output = '';
    this.child = spawnRedis(this.port);
    await this.ready();
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      child.kill('SIGTERM');
    });
  }
}

function spawnRedis(port: number): ChildProcess {
  return spawn(
    '/usr/bin/redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--maxmemory-policy',
      'noeviction',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
}
