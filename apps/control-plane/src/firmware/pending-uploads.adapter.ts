import { Inject, Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.tokens.js';
import { REDIS } from '../redis/redis.tokens.js';

/** A verified signed manifest waiting for its artifact bytes. */
export interface PendingUpload {
  id: string;
  tenantId: string;
  userId: string | null;
  /** The envelope exactly as the release manager sent it. */
  envelope: Record<string, unknown>;
  keyId: string;
  version: string;
  kind: string;
  sha256: string;
  size: number;
  expiresAt: string;
}

/**
 * Upload tickets live in Redis with a TTL, not in Postgres: an abandoned upload leaves no row
 * behind, and losing Redis only means the release manager starts the upload again.
 */
@Injectable()
export class PendingUploadsAdapter {
  private readonly prefix: string;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.prefix = `${config.REDIS_PREFIX}:firmware-upload`;
  }

  async save(upload: PendingUpload, ttlSeconds: number): Promise<void> {
    await this.redis.set(`${this.prefix}:${upload.id}`, JSON.stringify(upload), 'EX', ttlSeconds);
  }

  async find(id: string): Promise<PendingUpload | undefined> {
    const text = await this.redis.get(`${this.prefix}:${id}`);
    return text ? (JSON.parse(text) as PendingUpload) : undefined;
  }

  /** One transfer per ticket at a time; false when another one holds it. */
  async lock(id: string, ttlMs: number): Promise<boolean> {
    const ok = await this.redis.set(`${this.prefix}:${id}:lock`, '1', 'PX', ttlMs, 'NX');
    return ok === 'OK';
  }

  async unlock(id: string): Promise<void> {
    await this.redis.del(`${this.prefix}:${id}:lock`);
  }

  async remove(id: string): Promise<void> {
    await this.redis.del(`${this.prefix}:${id}`, `${this.prefix}:${id}:lock`);
  }
}
