import { Inject, Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.tokens.js';
import { REDIS } from '../redis/redis.tokens.js';

export interface Reconciler {
  readonly name: string;
  /** Rebuilds the jobs of every unfinished piece of work from Postgres; must be idempotent. */
  reconcile(): Promise<void>;
}

/**
 * Redis may lose everything; Postgres may not. At start and then periodically, each registered
 * reconciler re-adds the jobs that unfinished rows need (job ids make that harmless). A short lock
 * keeps replicas from doing the same sweep at the same moment.
 */
@Injectable()
export class Reconcilers {
  private readonly logger = new Logger(Reconcilers.name);
  private readonly list: Reconciler[] = [];
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  register(reconciler: Reconciler): void {
    this.list.push(reconciler);
  }

  start(): void {
    void this.runAll();
    this.timer = setInterval(() => {
      void this.runAll();
    }, this.config.RECONCILE_INTERVAL_SECONDS * 1000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** Runs every reconciler now (start-up, tests, and after a Redis loss is noticed). */
  runAll(): Promise<void> {
    this.running ??= this.sweep().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async sweep(): Promise<void> {
    const key = `${this.config.REDIS_PREFIX}:reconcile-lock`;
    const token = randomUUID();
    const ttlMs = Math.max(5_000, this.config.RECONCILE_INTERVAL_SECONDS * 500);
    const locked = await this.redis.set(key, token, 'PX', ttlMs, 'NX').catch(() => null);
    if (locked !== 'OK') return;
    try {
      for (const reconciler of this.list) {
        try {
          await reconciler.reconcile();
        } catch (error) {
          this.logger.warn(
            { err: error, reconciler: reconciler.name },
            'reconcile failed; next sweep retries',
          );
        }
      }
    } finally {
      const held = await this.redis.get(key).catch(() => null);
      if (held === token) await this.redis.del(key).catch(() => 0);
    }
  }
}
