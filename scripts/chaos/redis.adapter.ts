import { spawn, type ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import { ChaosError } from './chaos.error.js';

async function withRedis<T>(url: string, run: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    connectTimeout: 3_000,
    retryStrategy: () => null,
  });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    return await run(redis);
  } finally {
    redis.disconnect();
  }
}

/** The Redis the stack uses, and how this run wipes it. */
export interface ChaosRedis {
  url: string;
  /** What the wipe does, for the report. */
  readonly wipe: string;
  /** Every key the control plane has in Redis is gone (queues, locks, caches); resolves the count. */
  flush(): Promise<number>;
  stop(): Promise<void>;
}

/** A private redis-server on a free port without persistence: FLUSHALL touches no one else. */
export class PrivateRedis implements ChaosRedis {
  readonly wipe = 'FLUSHALL on a private redis-server';
  private output = '';

  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
  ) {
    child.stdout?.on(
      'data',
      (d: Buffer) => (this.output = (this.output + d.toString()).slice(-4000)),
    );
    child.stderr?.on(
      'data',
      (d: Buffer) => (this.output = (this.output + d.toString()).slice(-4000)),
    );
  }

  static async start(binary: string, port: number): Promise<PrivateRedis> {
    const child = spawn(
      binary,
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const spawned = await new Promise<Error | undefined>((resolve) => {
      child.once('error', resolve);
      child.once('spawn', () => {
        resolve(undefined);
      });
    });
    if (spawned) {
      throw new ChaosError(
        `cannot start ${binary} (${spawned.message}); install Redis (apt-get install redis-server), pass --redis-server <path>, or use an external one with --redis-url`,
      );
    }
    const redis = new PrivateRedis(child, `redis://127.0.0.1:${port}`);
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (child.exitCode !== null)
        throw new ChaosError(`${binary} exited (${child.exitCode}):\n${redis.output}`);
      try {
        await withRedis(redis.url, (r) => r.ping());
        return redis;
      } catch {
        if (Date.now() > deadline) {
          await redis.stop();
          throw new ChaosError(`${binary} did not answer on port ${port}:\n${redis.output}`);
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  async flush(): Promise<number> {
    return withRedis(this.url, async (r) => {
      const keys = await r.dbsize();
      await r.flushall();
      return keys;
    });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      this.child.once('exit', () => {
        resolve();
      });
      this.child.kill('SIGKILL');
    });
  }
}

/** A Redis someone else also uses: the wipe deletes this run's keys, never FLUSHALL. */
export class SharedRedis implements ChaosRedis {
  readonly wipe = "every key under this run's prefix deleted (shared Redis)";

  private constructor(
    readonly url: string,
    private readonly prefix: string,
  ) {}

  static async connect(url: string, prefix: string): Promise<SharedRedis> {
    try {
      await withRedis(url, (r) => r.ping());
    } catch (error) {
      throw new ChaosError(
        `Redis at ${url} is not reachable (${(error as Error).message}); start it or drop --redis-url to use a private redis-server`,
      );
    }
    return new SharedRedis(url, prefix);
  }

  async flush(): Promise<number> {
    return withRedis(this.url, async (r) => {
      let deleted = 0;
      let cursor = '0';
      do {
        const [next, keys] = await r.scan(cursor, 'MATCH', `${this.prefix}:*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length) deleted += await r.del(...keys);
      } while (cursor !== '0');
      return deleted;
    });
  }

  /** Removes what the run left behind. */
  async stop(): Promise<void> {
    await this.flush();
  }
}
