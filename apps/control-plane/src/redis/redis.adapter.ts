import { UnavailableError, withDeadline } from '@fleet/common';
import { Redis, type RedisOptions } from 'ioredis';

export interface RedisConnectionOptions {
  url: string;
  /** Workers need null (block forever); API-side clients fail fast instead. */
  maxRetriesPerRequest?: number | null;
  enableOfflineQueue?: boolean;
  connectionName?: string;
}

/** Opens an ioredis connection with the settings BullMQ's production guide asks for. */
export function createRedis(options: RedisConnectionOptions): Redis {
  const redisOptions: RedisOptions = {
    maxRetriesPerRequest:
      options.maxRetriesPerRequest === undefined ? 3 : options.maxRetriesPerRequest,
    enableOfflineQueue: options.enableOfflineQueue ?? true,
    connectionName: options.connectionName,
    lazyConnect: true,
    connectTimeout: 5_000,
    retryStrategy: (attempt) => Math.min(200 * 2 ** attempt, 5_000),
  };
  return new Redis(options.url, redisOptions);
}

/**
 * Connects and pings once at start-up. When Redis is not there, the error says where we looked and
 * how to start one, instead of a stack of ECONNREFUSED retries.
 */
export async function connectRedisOrExplain(redis: Redis, url: string): Promise<void> {
  try {
    await withDeadline(redis.connect(), 5_000);
    await withDeadline(redis.ping(), 5_000);
  } catch (error) {
    redis.disconnect();
    const reason = error instanceof Error ? error.message : String(error);
    throw new UnavailableError(
      'REDIS_UNREACHABLE',
      `Redis is not reachable at ${redactRedisUrl(url)} (${reason}). ` +
        'Start one locally with `redis-server --daemonize yes` (Debian: `apt-get install redis-server`) ' +
        'or `docker compose up -d redis`, or point REDIS_URL at your Redis.',
    );
  }
}

export function redactRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '<unparseable REDIS_URL>';
  }
}

/** BullMQ loses jobs if Redis evicts keys under memory pressure: say so at start. */
export async function warnUnlessNoEviction(
  redis: Redis,
  logger: { warn(fields: object, message: string): void },
): Promise<void> {
  try {
    const reply = await redis.config('GET', 'maxmemory-policy');
    const policy = reply[1];
    if (policy && policy !== 'noeviction') {
      logger.warn(
        { policy },
        'Redis maxmemory-policy is not noeviction; queued jobs may be evicted (set maxmemory-policy noeviction)',
      );
    }
  } catch {
    // Managed Redis often forbids CONFIG; nothing to check then.
  }
}
