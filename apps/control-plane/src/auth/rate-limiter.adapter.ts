import { Inject, Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.tokens.js';
import { REDIS } from '../redis/redis.tokens.js';

export interface RateDecision {
  allowed: boolean;
  retryAfterSeconds: number;
}

/**
 * Fixed-window counter in Redis, shared by every replica: INCR + PEXPIRE in one round trip.
 */
@Injectable()
export class RateLimiterAdapter {
  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async hit(bucket: string, limit: number, windowMs: number): Promise<RateDecision> {
    const window = Math.floor(Date.now() / windowMs);
    const key = `${this.config.REDIS_PREFIX}:ratelimit:${bucket}:${window}`;
    const results = await this.redis.multi().incr(key).pexpire(key, windowMs).exec();
    const countResult = results?.[0];
    const count = typeof countResult?.[1] === 'number' ? countResult[1] : 0;
    const retryAfterSeconds = Math.ceil(((window + 1) * windowMs - Date.now()) / 1000);
    return { allowed: count <= limit, retryAfterSeconds };
  }
}
