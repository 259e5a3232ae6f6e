// What every benchmark shares: checks that the machine's services are there, a throw-away
// Postgres database and Redis key prefix, the built control plane as a child process, a seeded
// tenant, percentiles, a table printer and the JSON result file. Benchmarks are not tests: they
// print figures beside a baseline measured in the same run; nothing here asserts a timing.
import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { createServer, Socket } from 'node:net';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { packageRoot } from '@fleet/common';
import { ROLES, type Role } from '@fleet/contracts';
import {
  launchControlPlane,
  type LaunchedControlPlane,
} from '../simulator/control-plane-launcher.js';
import type { SimLogger } from '../simulator/sim-logger.js';

export const POSTGRES_ADMIN_URL =
  process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A problem the user must fix (a missing service, a bad flag): printed without a stack. */
export class BenchError extends Error {
  override readonly name = 'BenchError';
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

// ---------------------------------------------------------------- running and cleaning up

type Cleanup = () => Promise<unknown>;
const cleanups: { what: string; run: Cleanup }[] = [];

/** Registers something to undo when the benchmark ends (newest first), however it ends. */
export function onCleanup(what: string, run: Cleanup): void {
  cleanups.push({ what, run });
}

async function cleanUp(): Promise<void> {
  while (cleanups.length > 0) {
    const c = cleanups.pop()!;
    try {
      await c.run();
    } catch (error) {
      process.stderr.write(`cleanup (${c.what}): ${(error as Error).message}\n`);
    }
  }
}

/**
 * Runs one benchmark: cleans up after success, failure or Ctrl-C, and exits 0, 1 (failed) or 2
 * (a service is missing or a flag is wrong) with a clear message.
 */
export async function runBench(name: string, main: () => Promise<void>): Promise<void> {
  let interrupted = false;
  const onSignal = (signal: string): void => {
    if (interrupted) return;
    interrupted = true;
    process.stderr.write(`\nbench:${name}: ${signal}, cleaning up\n`);
    void cleanUp().finally(() => process.exit(130));
  };
  process.on('SIGINT', () => {
    onSignal('SIGINT');
  });
  process.on('SIGTERM', () => {
    onSignal('SIGTERM');
  });
  // Something in a timer threw (the simulator runs in this process): still clean up.
  process.on('uncaughtException', (error) => {
    process.stderr.write(`bench:${name} failed: ${error.stack ?? error.message}\n`);
    if (interrupted) return;
    interrupted = true;
    void cleanUp().finally(() => process.exit(1));
  });
  let code = 0;
  try {
    await main();
  } catch (error) {
    if (error instanceof BenchError) {
      process.stderr.write(`bench:${name}: ${error.message}\n`);
      code = error.exitCode;
    } else {
      process.stderr.write(
        `bench:${name} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
      code = 1;
    }
  }
  if (interrupted) return;
  await cleanUp();
  process.exit(code);
}

// ---------------------------------------------------------------- flags

/** A positive integer flag (commander gives strings); names the flag when it is not one. */
export function positiveInt(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new BenchError(`${flag}: must be a positive integer (got "${value}")`, 2);
  return n;
}

// ---------------------------------------------------------------- services

function tcpReachable(host: string, port: number, timeoutMs = 2_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => {
      done(false);
    });
    socket.once('error', () => {
      done(false);
    });
    socket.connect(port, host, () => {
      done(true);
    });
  });
}

export type Service = 'postgres' | 'redis' | 'mosquitto';

/** Exits with code 2 naming every missing service and how to start it. */
export async function requireServices(services: readonly Service[]): Promise<void> {
  const missing: string[] = [];
  for (const service of services) {
    switch (service) {
      case 'postgres': {
        const client = new pg.Client({
          connectionString: POSTGRES_ADMIN_URL,
          connectionTimeoutMillis: 3_000,
        });
        try {
          await client.connect();
          await client.query('select 1');
        } catch (error) {
          missing.push(
            `Postgres at ${POSTGRES_ADMIN_URL} (${(error as Error).message}); start it (sudo service postgresql start) or set BENCH_POSTGRES_URL to a superuser URL`,
          );
        } finally {
          await client.end().catch(() => undefined);
        }
        break;
      }
      case 'redis': {
        const redis = new Redis(REDIS_URL, {
          lazyConnect: true,
          maxRetriesPerRequest: 0,
          connectTimeout: 3_000,
          retryStrategy: () => null,
        });
        redis.on('error', () => undefined);
        try {
          await redis.connect();
          await redis.ping();
        } catch (error) {
          missing.push(
            `Redis at ${REDIS_URL} (${(error as Error).message}); start it (redis-server --daemonize yes --maxmemory-policy noeviction) or set BENCH_REDIS_URL`,
          );
        } finally {
          redis.disconnect();
        }
        break;
      }
      case 'mosquitto':
        if (!(await tcpReachable('127.0.0.1', 1883)))
          missing.push('Mosquitto at 127.0.0.1:1883; start it (sudo service mosquitto start)');
        break;
    }
  }
  if (missing.length > 0)
    throw new BenchError(
      `needs services that are not reachable:\n${missing.map((m) => `  - ${m}`).join('\n')}`,
      2,
    );
}

export function freePort(): Promise<number> {
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

// ---------------------------------------------------------------- Postgres and Redis

export interface BenchDatabase {
  name: string;
  url: string;
  pool: pg.Pool;
}

/** A fresh database `fleet_bench_<bench>_<random>`, dropped when the benchmark ends. */
export async function createBenchDatabase(bench: string): Promise<BenchDatabase> {
  const name = `fleet_bench_${bench}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  const pool = new pg.Pool({ connectionString: url.toString(), max: 4 });
  pool.on('error', () => undefined);
  onCleanup(`database ${name}`, async () => {
    await pool.end();
    const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
    await client.connect();
    try {
      await client.query(`drop database if exists ${name} with (force)`);
    } finally {
      await client.end();
    }
  });
  return { name, url: url.toString(), pool };
}

/** A Redis key prefix of this run; its keys are deleted when the benchmark ends. */
export function benchRedisPrefix(bench: string): string {
  const prefix = `fleet-bench-${bench}-${randomBytes(4).toString('hex')}`;
  onCleanup(`redis keys ${prefix}:*`, () => deleteRedisKeys(prefix));
  return prefix;
}

export async function deleteRedisKeys(prefix: string): Promise<void> {
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

// ---------------------------------------------------------------- the control plane

/** An external broker for the control plane (MQTT_URL), instead of its embedded one. */
export interface BenchBroker {
  url: string;
  port: number;
  username: string;
  password: string;
}

export interface BenchControlPlane {
  url: string;
  adminToken: string;
  db: BenchDatabase;
  redisPrefix: string;
  mqttPort: number;
  dataDir: string;
  pid: number;
  launched: LaunchedControlPlane;
  /**
   * Stops the process and starts it again on the same HTTP port, database, Redis prefix and data
   * dir, on `broker` (or the embedded broker), as an operator moving to another broker would.
   */
  relaunch(broker?: BenchBroker): Promise<void>;
}

function brokerEnv(broker: BenchBroker | undefined, redisPrefix: string): Record<string, string> {
  if (!broker) return { MQTT_URL: '' };
  return {
    MQTT_URL: broker.url,
    MQTT_USERNAME: broker.username,
    MQTT_PASSWORD: broker.password,
    MQTT_CLIENT_ID: `control-plane-${redisPrefix}`,
  };
}

/**
 * The built control plane (dist/) as its own process, as in production: its own database, Redis
 * prefix, data dir and ports, the embedded MQTT broker (or `broker`, an external one); stopped and
 * removed when the benchmark ends.
 */
export async function startBenchControlPlane(
  bench: string,
  env: Record<string, string> = {},
  broker?: BenchBroker,
): Promise<BenchControlPlane> {
  const db = await createBenchDatabase(bench);
  const redisPrefix = benchRedisPrefix(bench);
  const dataDir = await mkdtemp(join(tmpdir(), `fleet-bench-${bench}-`));
  onCleanup(`data dir ${dataDir}`, () => rm(dataDir, { recursive: true, force: true }));
  const tokenFile = join(dataDir, 'admin.token');
  const logFile = join(packageRoot(), 'bench-results', 'logs', `${bench}-control-plane.log`);
  mkdirSync(join(packageRoot(), 'bench-results', 'logs'), { recursive: true });
  writeFileSync(logFile, '');
  const launch = (port: number, mqttPort: number, on: BenchBroker | undefined) =>
    launchControlPlane({
      env: {
        HOST: '127.0.0.1',
        PORT: String(port),
        MQTT_HOST: '127.0.0.1',
        MQTT_PORT: String(mqttPort),
        ...brokerEnv(on, redisPrefix),
        DATABASE_URL: db.url,
        DATABASE_POOL_SIZE: '10',
        DATA_DIR: dataDir,
        REDIS_URL,
        REDIS_PREFIX: redisPrefix,
        ADMIN_TOKEN_FILE: tokenFile,
        AUTH_RATE_LIMIT_PER_MINUTE: '1000000',
        LOG_LEVEL: 'warn',
        ...env,
      },
      logFile,
    });
  // A port found free may be taken by someone else before the control plane binds it: try again.
  let launched: LaunchedControlPlane | undefined;
  let port = 0;
  let mqttPort = 0;
  for (let attempt = 1; !launched; attempt++) {
    port = await freePort();
    mqttPort = broker?.port ?? (await freePort());
    try {
      launched = await launch(port, mqttPort, broker);
    } catch (error) {
      if (attempt >= 3 || !(error as Error).message.includes('EADDRINUSE')) throw error;
    }
  }
  const adminToken = (await readFile(tokenFile, 'utf8')).trim();
  const cp: BenchControlPlane = {
    url: launched.url,
    adminToken,
    db,
    redisPrefix,
    mqttPort,
    dataDir,
    pid: launched.process.pid,
    launched,
    async relaunch(next?: BenchBroker) {
      await cp.launched.stop();
      const nextMqttPort = next?.port ?? (await freePort());
      cp.launched = await launch(port, nextMqttPort, next);
      cp.mqttPort = nextMqttPort;
      cp.pid = cp.launched.process.pid;
    },
  };
  // Stopped before its database is dropped (cleanups run newest first).
  onCleanup('control plane', () => cp.launched.stop());
  return cp;
}

// ---------------------------------------------------------------- HTTP

export interface Answer<T> {
  status: number;
  body: T;
}

/** A JSON client for the control plane: bearer token, tenant header, a deadline per request. */
export class BenchApi {
  constructor(
    readonly baseUrl: string,
    private readonly headers: Readonly<Record<string, string>> = {},
  ) {}

  as(token: string, tenant?: string): BenchApi {
    return new BenchApi(this.baseUrl, {
      authorization: `Bearer ${token}`,
      ...(tenant ? { 'x-tenant-id': tenant } : {}),
    });
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<Answer<T>> {
    const headers: Record<string, string> = { ...this.headers };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(this.baseUrl + path, {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(60_000),
    });
    const text = await response.text();
    const parsed: unknown = response.headers.get('content-type')?.includes('json')
      ? JSON.parse(text)
      : text;
    return { status: response.status, body: parsed as T };
  }

  /** Throws unless the answer is one of `ok`, with the API's reason. */
  async expect<T>(
    method: string,
    path: string,
    ok: readonly number[],
    body?: unknown,
  ): Promise<Answer<T>> {
    const answer = await this.request<T>(method, path, body);
    if (!ok.includes(answer.status))
      throw new Error(
        `${method} ${path} answered ${answer.status}: ${JSON.stringify(answer.body).slice(0, 400)}`,
      );
    return answer;
  }
}

export interface BenchTenant {
  id: string;
  tokens: Record<Role, string>;
  as: Record<Role, BenchApi>;
}

/** A tenant with its sites (Asia/Ho_Chi_Minh) and one user + token per role. */
export async function seedBenchTenant(
  cp: BenchControlPlane,
  id: string,
  sites: readonly string[],
): Promise<BenchTenant> {
  const admin = new BenchApi(cp.url).as(cp.adminToken);
  await admin.expect('POST', '/api/v1/tenants', [201], { id, name: `Bench ${id}` });
  const inTenant = new BenchApi(cp.url).as(cp.adminToken, id);
  for (const site of sites) {
    await inTenant.expect('POST', '/api/v1/sites', [201], {
      id: site,
      name: site,
      timeZone: 'Asia/Ho_Chi_Minh',
      location: { latitude: 16.05, longitude: 108.2 },
    });
  }
  const tokens = {} as Record<Role, string>;
  for (const role of ROLES) {
    const user = await inTenant.expect<{ id: string }>('POST', '/api/v1/users', [201], {
      username: `${role}.${id}`,
      displayName: `${role} of ${id}`,
      role,
      password: `${role}-bench-password`,
    });
    const token = await inTenant.expect<{ token: string }>('POST', '/api/v1/tokens', [201], {
      name: `${role} bench token`,
      userId: user.body.id,
    });
    tokens[role] = token.body.token;
  }
  const as = Object.fromEntries(
    ROLES.map((r) => [r, new BenchApi(cp.url).as(tokens[r])]),
  ) as Record<Role, BenchApi>;
  return { id, tokens, as };
}

export interface LoadResult {
  name: string;
  requests: number;
  errors: number;
  seconds: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
}

export interface LoadRequest {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

/**
 * A closed-loop load generator on node:http with keep-alive: `connections` loops, each sending
 * the next request as soon as the last answered, for `seconds` (after a warm-up). Any status
 * other than `okStatus` counts as an error. The same client drives every target, so the
 * comparison with a baseline holds even if the client itself costs CPU.
 */
export async function httpLoad(
  name: string,
  baseUrl: string,
  next: (i: number) => LoadRequest,
  options: { connections: number; seconds: number; warmupSeconds?: number; okStatus: number[] },
): Promise<LoadResult> {
  const url = new URL(baseUrl);
  const agent = new Agent({ keepAlive: true, maxSockets: options.connections });
  let counter = 0;
  const once = (): Promise<{ ok: boolean; ms: number }> =>
    new Promise((resolve) => {
      const r = next(counter++);
      const started = process.hrtime.bigint();
      const req = request(
        {
          agent,
          host: url.hostname,
          port: url.port,
          method: r.method,
          path: r.path,
          headers: {
            ...(r.headers ?? {}),
            ...(r.body === undefined
              ? {}
              : {
                  'content-type': 'application/json',
                  'content-length': Buffer.byteLength(r.body),
                }),
          },
          timeout: 30_000,
        },
        (res) => {
          res.resume();
          res.once('end', () => {
            resolve({
              ok: options.okStatus.includes(res.statusCode ?? 0),
              ms: Number(process.hrtime.bigint() - started) / 1e6,
            });
          });
        },
      );
      req.once('error', () => {
        resolve({ ok: false, ms: Number(process.hrtime.bigint() - started) / 1e6 });
      });
      req.once('timeout', () => {
        req.destroy(new Error('timeout'));
      });
      req.end(r.body);
    });
  const loop = async (until: number, latencies: number[] | undefined): Promise<number> => {
    let errors = 0;
    while (Date.now() < until) {
      const { ok, ms } = await once();
      if (!ok) errors += 1;
      latencies?.push(ms);
    }
    return errors;
  };
  const warmUntil = Date.now() + (options.warmupSeconds ?? 2) * 1000;
  await Promise.all(Array.from({ length: options.connections }, () => loop(warmUntil, undefined)));
  const latencies: number[] = [];
  const t0 = process.hrtime.bigint();
  const until = Date.now() + options.seconds * 1000;
  const errors = (
    await Promise.all(Array.from({ length: options.connections }, () => loop(until, latencies)))
  ).reduce((a, b) => a + b, 0);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return {
    name,
    requests: latencies.length,
    errors,
    seconds,
    perSecond: latencies.length / seconds,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
  };
}

// ---------------------------------------------------------------- figures

/** Nearest-rank percentile of an ascending array (NaN when empty). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return '-';
  if (Number.isInteger(value)) return value.toLocaleString('en-US');
  if (Math.abs(value) >= 100) return Math.round(value).toLocaleString('en-US');
  if (Math.abs(value) >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

/** Prints rows as aligned columns; the first row is the header. */
export function printTable(rows: readonly (readonly (string | number)[])[]): void {
  const cells = rows.map((r) => r.map((c) => (typeof c === 'number' ? formatNumber(c) : c)));
  const widths = cells[0].map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  for (const [n, r] of cells.entries()) {
    console.log(r.map((c, i) => c.padEnd(widths[i])).join('  '));
    if (n === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  }
}

export interface Machine {
  cpuModel: string;
  cores: number;
  memoryGb: number;
  node: string;
  platform: string;
  /** Load when the result was written: other work on the machine skews every figure. */
  loadAverage1m: number;
}

export function machine(): Machine {
  let cpuModel = cpus()[0]?.model ?? 'unknown';
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) cpuModel = m[1].trim();
  } catch {
    // not Linux: os.cpus() said what it could
  }
  return {
    cpuModel,
    cores: cpus().length,
    memoryGb: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    loadAverage1m: Number(loadavg()[0].toFixed(2)),
  };
}

export interface BenchHeadline {
  /** What the figure is, e.g. "device commands/s end to end". */
  label: string;
  value: number;
  unit: string;
  baselineLabel: string;
  baseline: number;
}

/**
 * Writes bench-results/<name>.json (the latest run) and appends one line to
 * bench-results/history.jsonl; returns the path written.
 */
export function writeResult(
  name: string,
  result: { sizes: Record<string, number | string>; headline: BenchHeadline[] } & Record<
    string,
    unknown
  >,
): string {
  const dir = join(packageRoot(), 'bench-results');
  mkdirSync(dir, { recursive: true });
  const record = { bench: name, at: new Date().toISOString(), machine: machine(), ...result };
  const file = join(dir, `${name}.json`);
  writeFileSync(file, `${JSON.stringify(record, null, 2)}\n`);
  appendFileSync(join(dir, 'history.jsonl'), `${JSON.stringify(record)}\n`);
  console.log(`\nwrote ${join('bench-results', `${name}.json`)}`);
  return file;
}

// ---------------------------------------------------------------- waiting

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `read` until `ok`; throws naming `what` (and the last value) after `timeoutMs`. */
export async function waitFor<T>(
  read: () => Promise<T>,
  ok: (value: T) => boolean,
  what: string,
  timeoutMs: number,
  everyMs = 500,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}; last: ${JSON.stringify(value).slice(0, 500)}`,
      );
    await sleep(everyMs);
  }
}

/** Progress lines on stderr at most every few seconds, so stdout stays a clean report. */
export function progress(prefix: string): SimLogger {
  const line = (level: string, m: string): void => {
    process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${prefix}${level} ${m}\n`);
  };
  return {
    info: (m) => {
      line('', m);
    },
    warn: (m) => {
      line(' WARN', m);
    },
    error: (m) => {
      line(' ERROR', m);
    },
  };
}

/** CPU seconds (user + system) a process used so far, from /proc (Linux); NaN elsewhere. */
export function processCpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    // utime and stime are fields 14 and 15 of stat; here offset by the two fields before ')'.
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}
