import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '@fleet/common';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, waitForHttp, collectOutput } from '../../support/process.js';
import { startTestControlPlane } from '../../support/control-plane.js';

const MAIN = join(packageRoot(), 'dist/apps/control-plane/src/main.js');
const children: ChildProcess[] = [];
const dirs: string[] = [];

afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

function startMain(env: Record<string, string>): {
  child: ChildProcess;
  output: () => string;
  exit: Promise<number | null>;
} {
  const child = spawn(process.execPath, [MAIN], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  const output = collectOutput(child);
  const exit = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      resolve(code);
    }),
  );
  return { child, output, exit };
}

describe('operations', () => {
  it('starts on embedded defaults (PGlite under DATA_DIR, no DATABASE_URL) and serves /health and /docs; SIGTERM stops it cleanly', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'fleet-quickstart-'));
    dirs.push(dataDir);
    const port = await freePort();
    const run = startMain({
      PORT: String(port),
      DATA_DIR: dataDir,
      REDIS_PREFIX: `fleet-t-qs-${port}`,
      MQTT_PORT: '0',
    });
    await waitForHttp(`http://127.0.0.1:${port}/health`, 90_000, run.output);
    expect((await fetch(`http://127.0.0.1:${port}/docs`)).status).toBe(200);
    const spec = (await (await fetch(`http://127.0.0.1:${port}/docs-json`)).json()) as {
      paths: Record<string, unknown>;
    };
    expect(Object.keys(spec.paths)).toContain('/api/v1/gateways');
    const ready = (await (await fetch(`http://127.0.0.1:${port}/health/ready`)).json()) as {
      details: { database: { kind: string } };
    };
    expect(ready.details.database.kind).toBe('pglite');
    expect(run.output()).toContain('First start: a platform administrator');
    run.child.kill('SIGTERM');
    expect(await run.exit).toBe(0);
  });

  it('lists every bad environment variable at once and exits non-zero', async () => {
    const run = startMain({ PORT: 'eighty', REDIS_URL: 'localhost', LOG_LEVEL: 'chatty' });
    expect(await run.exit).toBe(2);
    const out = run.output();
    expect(out).toContain('Invalid configuration');
    expect(out).toMatch(/PORT: .*"eighty"/);
    expect(out).toContain('REDIS_URL: must be a redis:// URL');
    expect(out).toContain('LOG_LEVEL');
  });

  it('says where it looked for Redis and how to start one', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'fleet-noredis-'));
    dirs.push(dataDir);
    const run = startMain({ PORT: '0', DATA_DIR: dataDir, REDIS_URL: 'redis://127.0.0.1:1' });
    expect(await run.exit).toBe(1);
    expect(run.output()).toContain('Redis is not reachable at redis://127.0.0.1:1');
    expect(run.output()).toContain('redis-server');
  });

  it('serves the queue dashboard to platform administrators only', async () => {
    const cp = await startTestControlPlane();
    try {
      expect((await fetch(`${cp.url}/admin/queues`)).status).toBe(401);
      const first = await fetch(`${cp.url}/admin/queues?access_token=${cp.adminToken}`, {
        redirect: 'manual',
      });
      expect(first.status).toBe(303);
      const cookie = first.headers.get('set-cookie') ?? '';
      expect(cookie).toMatch(/HttpOnly/);
      const page = await fetch(`${cp.url}/admin/queues`, {
        headers: { cookie: cookie.split(';')[0]! },
      });
      expect(page.status).toBe(200);
      expect(await page.text()).toMatch(/<html/i);
      const api = await fetch(`${cp.url}/admin/queues/api/queues`, {
        headers: { cookie: cookie.split(';')[0]! },
      });
      expect(api.status).toBe(200);
      expect(JSON.stringify(await api.json())).toContain('commands');
    } finally {
      await cp.close();
    }
  });

  it('exports Prometheus metrics with the HTTP latency histogram and process metrics', async () => {
    const cp = await startTestControlPlane();
    try {
      await cp.anonymous.get('/health');
      const text = await (await fetch(`${cp.url}/metrics`)).text();
      expect(text).toMatch(/http_request_duration_seconds_bucket\{[^}]*route="\/health"/);
      expect(text).toContain('process_cpu_user_seconds_total');
      const ready = await cp.anonymous.get<{
        status: string;
        details: Record<string, { status: string }>;
      }>('/health/ready');
      expect(ready.body.status).toBe('ok');
      expect(ready.body.details.database.status).toBe('up');
      expect(ready.body.details.redis.status).toBe('up');
    } finally {
      await cp.close();
    }
  });
});
