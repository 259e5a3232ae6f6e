// The stack the chaos runner breaks: a throw-away Postgres database reached through a cuttable TCP
// proxy, a private redis-server (or a key prefix on an external Redis), the built control plane
// with its embedded MQTT broker as a child process, a tenant with a token per role, and a
// simulated fleet whose every telemetry reading is remembered as it is sent.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { packageRoot } from '@fleet/common';
import { ROLES, type Role, type TelemetryMessage } from '@fleet/contracts';
import type { GatewayLink, LinkConnector } from '../simulator/gateway-link.port.js';
import { connectMqttLink } from '../simulator/mqtt-gateway-link.adapter.js';
import type { SimLogger } from '../simulator/sim-logger.js';
import { startSimulatedFleet, type SimulatedFleet } from '../simulator/simulated-fleet.js';
import { parseSimulatorOptions } from '../simulator/simulator-options.js';
import { ChaosApi } from './chaos-api.adapter.js';
import { readingKey } from './chaos-count.js';
import type { ChaosOptions } from './chaos-options.js';
import { ChaosError } from './chaos.error.js';
import { ControlPlaneProcess } from './control-plane.adapter.js';
import { PrivateRedis, SharedRedis, type ChaosRedis } from './redis.adapter.js';
import { TcpProxy } from './tcp-proxy.adapter.js';

const TENANT = 'chaos';
const SITE = 'chaos-d1';
/** The point whose readings are counted end to end (every meter reports it each poll). */
export const COUNTED_POINT = 'voltage_l1';

export interface SentReading {
  key: string;
  /** The reading's own timestamp. */
  ts: number;
  /** When the gateway first tried to publish it. */
  sentAt: number;
}

export interface ChaosStack {
  cp: ControlPlaneProcess;
  postgres: TcpProxy;
  redis: ChaosRedis;
  fleet: SimulatedFleet;
  as: Record<Role, ChaosApi>;
  /** Street lights (the group command's target) and meters (whose readings are counted). */
  lights: string[];
  meters: string[];
  /** Every reading of COUNTED_POINT a simulated gateway sent (re-sends included once). */
  sent: Map<string, SentReading>;
  logFile: string;
  close(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => {
        resolve(port);
      });
    });
  });
}

/** Wraps the simulator's MQTT link so every telemetry reading of the counted point is noted. */
function recordingConnector(
  sent: Map<string, SentReading>,
  meters: () => Set<string>,
): LinkConnector {
  return async (options, events) => {
    const link = await connectMqttLink(options, events);
    const recorded: GatewayLink = {
      get connected() {
        return link.connected;
      },
      publish: (message) => {
        if (message.channel === 'telemetry') {
          const telemetry = JSON.parse(message.payload.toString()) as TelemetryMessage;
          for (const r of telemetry.readings) {
            if (r.point !== COUNTED_POINT || !meters().has(r.deviceId)) continue;
            const key = readingKey(r.deviceId, r.point, r.ts);
            if (!sent.has(key)) sent.set(key, { key, ts: r.ts, sentAt: Date.now() });
          }
        }
        return link.publish(message);
      },
      end: (mode) => link.end(mode),
    };
    return recorded;
  };
}

async function adminClient(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    return client;
  } catch (error) {
    await client.end().catch(() => undefined);
    throw new ChaosError(
      `Postgres at ${url} is not reachable (${(error as Error).message}); start it or pass --postgres-url with a superuser URL`,
    );
  }
}

export async function startChaosStack(
  options: ChaosOptions,
  logger: SimLogger,
): Promise<ChaosStack> {
  const main = join(packageRoot(), 'dist', 'apps', 'control-plane', 'src', 'main.js');
  if (!existsSync(main))
    throw new ChaosError(`${main} is missing: run npm run build (npm run chaos builds first)`);
  const cleanups: (() => Promise<unknown>)[] = [];
  const close = async (): Promise<void> => {
    while (cleanups.length > 0) {
      await cleanups.pop()!().catch((error: unknown) => {
        logger.warn(`cleanup: ${(error as Error).message}`);
      });
    }
  };
  try {
    // Postgres: a database of this run, reached through the proxy the runner cuts.
    const admin = await adminClient(options.postgresUrl);
    const dbName = `fleet_chaos_${randomBytes(4).toString('hex')}`;
    try {
      await admin.query(`create database ${dbName}`);
    } finally {
      await admin.end();
    }
    cleanups.push(async () => {
      const c = await adminClient(options.postgresUrl);
      try {
        await c.query(`drop database if exists ${dbName} with (force)`);
      } finally {
        await c.end();
      }
    });
    const upstream = new URL(options.postgresUrl);
    const postgres = await TcpProxy.start({
      host: upstream.hostname,
      port: Number(upstream.port || 5432),
    });
    cleanups.push(() => postgres.stop());
    const dbUrl = new URL(options.postgresUrl);
    dbUrl.hostname = '127.0.0.1';
    dbUrl.port = String(postgres.port);
    dbUrl.pathname = `/${dbName}`;

    const redisPrefix = `fleet-chaos-${randomBytes(4).toString('hex')}`;
    const redis: ChaosRedis = options.redisUrl
      ? await SharedRedis.connect(options.redisUrl, redisPrefix)
      : await PrivateRedis.start(options.redisServer, await freePort());
    cleanups.push(() => redis.stop());

    const dataDir = await mkdtemp(join(tmpdir(), 'fleet-chaos-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const logDir = join(packageRoot(), 'bench-results', 'logs');
    mkdirSync(logDir, { recursive: true });
    const logFile = join(logDir, 'chaos-control-plane.log');
    const tokenFile = join(dataDir, 'admin.token');
    const cp = new ControlPlaneProcess(
      {
        HOST: '127.0.0.1',
        PORT: String(await freePort()),
        MQTT_HOST: '127.0.0.1',
        MQTT_PORT: String(await freePort()),
        MQTT_URL: '',
        DATABASE_URL: dbUrl.toString(),
        DATABASE_POOL_SIZE: '10',
        DATA_DIR: dataDir,
        REDIS_URL: redis.url,
        REDIS_PREFIX: redisPrefix,
        ADMIN_TOKEN_FILE: tokenFile,
        AUTH_RATE_LIMIT_PER_MINUTE: '1000000',
        PRESENCE_DEBOUNCE_MS: '0',
        LOG_LEVEL: 'info',
      },
      logFile,
    );
    cleanups.push(() => cp.close());
    logger.info(`starting the control plane (log: ${logFile})`);
    await cp.start();
    const adminToken = (await readFile(tokenFile, 'utf8')).trim();

    const platform = new ChaosApi(cp.url).as(adminToken);
    await platform.expect('POST', '/api/v1/tenants', [201], { id: TENANT, name: 'Chaos run' });
    const inTenant = new ChaosApi(cp.url).as(adminToken, TENANT);
    await inTenant.expect('POST', '/api/v1/sites', [201], {
      id: SITE,
      name: 'Chaos district',
      timeZone: 'Asia/Ho_Chi_Minh',
      location: { latitude: 16.05, longitude: 108.2 },
    });
    const as = {} as Record<Role, ChaosApi>;
    const tokens = {} as Record<Role, string>;
    for (const role of ROLES) {
      const user = await inTenant.expect<{ id: string }>('POST', '/api/v1/users', [201], {
        username: `${role}.chaos`,
        displayName: `${role} (chaos)`,
        role,
        password: `${role}-chaos-password-${randomBytes(6).toString('hex')}`,
      });
      const token = await inTenant.expect<{ token: string }>('POST', '/api/v1/tokens', [201], {
        name: `${role} chaos token`,
        userId: user.id,
      });
      tokens[role] = token.token;
      as[role] = new ChaosApi(cp.url).as(token.token);
    }

    const sent = new Map<string, SentReading>();
    const meterIds = new Set<string>();
    const stateDir = await mkdtemp(join(tmpdir(), 'fleet-chaos-ids-'));
    cleanups.push(() => rm(stateDir, { recursive: true, force: true }));
    logger.info(
      `enrolling ${options.gateways} simulated gateways with ${options.devicesPerGateway} devices each`,
    );
    const fleet = await startSimulatedFleet(
      parseSimulatorOptions({
        server: cp.url,
        token: tokens.technician,
        gateways: String(options.gateways),
        devicesPerGateway: String(options.devicesPerGateway),
        sites: SITE,
        stateFile: join(stateDir, 'identities.json'),
        serialPrefix: 'CHAOS',
        connectRate: '50',
        statsSeconds: '0',
        // Meters poll every 2 s and report every poll, so their readings can be counted.
        pollScale: '0.2',
        readingHeartbeatSeconds: '2',
        batchMs: '1000',
        heartbeatSeconds: '5',
      }),
      logger,
      { connector: recordingConnector(sent, () => meterIds) },
    );
    cleanups.push(() => fleet.stop());
    const lights: string[] = [];
    for (const identity of fleet.provisioning.identities) {
      for (const [key, id] of Object.entries(identity.devices)) {
        if (key.startsWith('light-')) lights.push(id);
        if (key === 'meter') meterIds.add(id);
      }
    }
    if (!(await fleet.simulator.waitUntilConnected(120_000)))
      throw new ChaosError(
        `only ${fleet.simulator.stats.connected}/${options.gateways} simulated gateways connected`,
        1,
      );
    if (lights.length === 0)
      throw new ChaosError('the fleet has no street lights: use --devices-per-gateway 4 or more');
    return {
      cp,
      postgres,
      redis,
      fleet,
      as,
      lights,
      meters: [...meterIds],
      sent,
      logFile,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
