import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '@fleet/common';
import { deleteRedisPrefix, REDIS_URL } from '../../../support/control-plane.js';
import { apiClient, bearer, type ApiClient } from '../../../support/http.js';
import { createTestDatabase, type TestDatabase } from '../../../support/postgres.js';
import { collectOutput, freePort, waitForHttp } from '../../../support/process.js';

const MAIN = join(packageRoot(), 'dist/apps/control-plane/src/main.js');

/** The built control plane as its own process, with every byte it writes to stdout and stderr. */
export interface LoggedControlPlane {
  url: string;
  mqttPort: number;
  db: TestDatabase;
  redisPrefix: string;
  dataDir: string;
  adminToken: string;
  platform: ApiClient;
  anonymous: ApiClient;
  /** Everything the process wrote so far (stdout and stderr, JSON log lines and anything else). */
  output(): string;
  /** SIGTERM and wait for the exit, so the last log lines are flushed; keeps database and Redis. */
  stop(): Promise<void>;
  /** stop(), then drop the database, the Redis keys and the data dir. */
  close(): Promise<void>;
}

/**
 * Starts dist/apps/control-plane/src/main.js (run `node scripts/build.js` first) on free ports,
 * its own database, Redis prefix and data dir. The first admin token goes to ADMIN_TOKEN_FILE,
 * as in production, so it is never printed.
 */
export async function startLoggedControlPlane(
  env: Record<string, string> = {},
): Promise<LoggedControlPlane> {
  const db = await createTestDatabase();
  const redisPrefix = `fleet-t-${randomBytes(4).toString('hex')}`;
  const dataDir = await mkdtemp(join(tmpdir(), 'fleet-sec-'));
  const port = await freePort();
  const mqttPort = await freePort();
  const tokenFile = join(dataDir, 'admin-token');
  const child = spawn(process.execPath, [MAIN], {
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: db.url,
      DATABASE_POOL_SIZE: '5',
      REDIS_URL,
      REDIS_PREFIX: redisPrefix,
      DATA_DIR: dataDir,
      ADMIN_TOKEN_FILE: tokenFile,
      MQTT_HOST: '127.0.0.1',
      MQTT_PORT: String(mqttPort),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = collectOutput(child);
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      resolve();
    }),
  );
  let running = true;
  const stop = async (): Promise<void> => {
    if (!running) return;
    running = false;
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(killer);
  };
  const cleanup = async (): Promise<void> => {
    await stop();
    await db.drop();
    await deleteRedisPrefix(redisPrefix);
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    const url = `http://127.0.0.1:${port}`;
    await waitForHttp(`${url}/health`, 90_000, output);
    const adminToken = (await readFile(tokenFile, 'utf8')).trim();
    return {
      url,
      mqttPort,
      db,
      redisPrefix,
      dataDir,
      adminToken,
      platform: apiClient(url, bearer(adminToken)),
      anonymous: apiClient(url),
      output,
      stop,
      close: cleanup,
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}
