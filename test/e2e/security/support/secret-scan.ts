import { Redis } from 'ioredis';
import { REDIS_URL } from '../../../support/control-plane.js';
import type { TestDatabase } from '../../../support/postgres.js';

/** Known secrets by name; a place that holds one of them (in any common encoding) is a leak. */
export type KnownSecrets = Record<string, string>;

/** Names of the secrets found in `text`, as written, URL-encoded, JSON-escaped or base64. */
export function secretsIn(text: string, secrets: KnownSecrets): string[] {
  const found: string[] = [];
  for (const [name, secret] of Object.entries(secrets)) {
    const forms = new Set([
      secret,
      encodeURIComponent(secret),
      JSON.stringify(secret).slice(1, -1),
      Buffer.from(secret).toString('base64'),
    ]);
    if ([...forms].some((form) => text.includes(form))) found.push(name);
  }
  return found;
}

/** Every row of every table of the public schema, one `table: row as JSON` line each. */
export async function dumpDatabase(db: TestDatabase): Promise<{ tables: number; text: string }> {
  const tables = await db.query<{ name: string }>(
    `select quote_ident(table_name) as name from information_schema.tables
      where table_schema = 'public' and table_type = 'BASE TABLE'`,
  );
  const lines: string[] = [];
  for (const { name } of tables) {
    const rows = await db.query<{ row: string }>(
      `select row_to_json(t)::text as row from ${name} t`,
    );
    for (const { row } of rows) lines.push(`${name}: ${row}`);
  }
  return { tables: tables.length, text: lines.join('\n') };
}

/** Every key under `prefix:` with its whole value (strings, hashes, lists, sets, zsets, streams). */
export async function dumpRedis(prefix: string): Promise<{ keys: string[]; text: string }> {
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  try {
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      keys.push(...batch);
    } while (cursor !== '0');
    const lines: string[] = [];
    for (const key of keys.sort()) {
      const type = await redis.type(key);
      let value: unknown;
      switch (type) {
        case 'string':
          value = await redis.get(key);
          break;
        case 'hash':
          value = await redis.hgetall(key);
          break;
        case 'list':
          value = await redis.lrange(key, 0, -1);
          break;
        case 'set':
          value = await redis.smembers(key);
          break;
        case 'zset':
          value = await redis.zrange(key, '0', '-1');
          break;
        case 'stream':
          value = await redis.xrange(key, '-', '+');
          break;
        default:
          value = `<${type}>`;
      }
      lines.push(`${key} (${type}): ${JSON.stringify(value)}`);
    }
    return { keys, text: lines.join('\n') };
  } finally {
    redis.disconnect();
  }
}
