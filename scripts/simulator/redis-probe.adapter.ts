import { Redis } from 'ioredis';

/**
 * Connects once to Redis and pings it, without retrying. Resolves undefined when it answers,
 * otherwise the reason it could not be reached (ECONNREFUSED, ENOTFOUND, a timeout, NOAUTH).
 */
export async function probeRedis(url: string, timeoutMs = 3_000): Promise<string | undefined> {
  const redis = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    connectTimeout: timeoutMs,
    retryStrategy: () => null,
  });
  // The connection error says more than the rejected connect() ("Connection is closed.").
  let cause: Error | undefined;
  redis.on('error', (error: Error) => {
    cause ??= error;
  });
  try {
    await redis.connect();
    await redis.ping();
    return undefined;
  } catch (error) {
    return (cause ?? (error as Error)).message;
  } finally {
    redis.disconnect();
  }
}
