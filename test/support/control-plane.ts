import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { loadAppConfig } from '../../apps/control-plane/src/config/app-config.js';
import {
  startControlPlane,
  type ControlPlane,
} from '../../apps/control-plane/src/control-plane.js';
import { apiClient, bearer, type ApiClient } from './http.js';
import { createTestDatabase, type TestDatabase } from './postgres.js';

export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface TestControlPlane {
  plane: ControlPlane;
  db: TestDatabase;
  url: string;
  redisPrefix: string;
  dataDir: string;
  /** Platform administrator's client (no tenant chosen). */
  platform: ApiClient;
  /** Unauthenticated client. */
  anonymous: ApiClient;
  adminToken: string;
  /** Stops the control plane and starts it again on the same database, data dir and ports. */
  restart(): Promise<void>;
  /** Stops the control plane but keeps its database (for a later start). */
  stop(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Boots the control plane in this process on a random port, against its own Postgres database and
 * its own Redis key prefix; close() stops it and removes both.
 */
export async function startTestControlPlane(
  env: Record<string, string> = {},
): Promise<TestControlPlane> {
  const db = await createTestDatabase();
  const redisPrefix = `fleet-t-${randomBytes(4).toString('hex')}`;
  const dataDir = await mkdtemp(join(tmpdir(), 'fleet-cp-'));
  const configEnv: Record<string, string> = {
    PORT: '0',
    HOST: '127.0.0.1',
    DATABASE_URL: db.url,
    DATABASE_POOL_SIZE: '5',
    REDIS_URL,
    REDIS_PREFIX: redisPrefix,
    DATA_DIR: dataDir,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    MQTT_HOST: '127.0.0.1',
    MQTT_PORT: '0',
    ...env,
  };
  const config = loadAppConfig(configEnv);
  let plane: ControlPlane;
  let running = true;
  try {
    plane = await startControlPlane(config, { printFirstAdminToken: false });
  } catch (error) {
    await db.drop();
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
  const adminToken = plane.firstAdminToken;
  if (!adminToken) throw new Error('a fresh database should have produced a first admin token');
  const handle: TestControlPlane = {
    plane,
    db,
    url: plane.url,
    redisPrefix,
    dataDir,
    adminToken,
    platform: apiClient(plane.url, bearer(adminToken)),
    anonymous: apiClient(plane.url),
    async stop() {
      if (running) await handle.plane.close();
      running = false;
    },
    async restart() {
      await handle.stop();
      // Same HTTP port too, so clients keep their base URL.
      const port = new URL(handle.url).port;
      handle.plane = await startControlPlane(loadAppConfig({ ...configEnv, PORT: port }), {
        printFirstAdminToken: false,
      });
      running = true;
    },
    async close() {
      await handle.stop();
      await db.drop();
      await deleteRedisPrefix(redisPrefix);
      await rm(dataDir, { recursive: true, force: true });
    },
  };
  return handle;
}

export async function deleteRedisPrefix(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
