import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { connect, type AddressInfo } from 'node:net';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { packageRoot } from '@fleet/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteRedisPrefix } from '../../support/control-plane.js';
import { apiClient, bearer, type ApiClient } from '../../support/http.js';
import { collectOutput, freePort } from '../../support/process.js';

/**
 * Issue 7, the demo: `npm run demo`'s command (scripts/run.js scripts/demo.ts, from the built tree)
 * on random ports with a temporary data dir. It prints its URLs, the city is in the API, the
 * simulated gateways are online, the real gateway-agent's Modbus TCP readings arrive, and a
 * terminal's Ctrl-C (SIGINT to the whole process group) stops every process it started. A second
 * run reuses the data dir; without Redis it says how to start one and exits non-zero.
 */
const ROOT = packageRoot();
const SIM_GATEWAYS = 3;

interface DemoRun {
  child: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

interface Banner {
  console: string;
  docs: string;
  queues: string;
  metrics: string;
  token: string;
  agentPid: number;
  agentGatewayId: string;
}

let dataRoot: string;
let dataDir: string;
let port: number;
let mqttPort: number;
const redisPrefix = `fleet-t-demo-${randomBytes(4).toString('hex')}`;
const runs: DemoRun[] = [];

function startDemo(args: readonly string[]): DemoRun {
  // Its own process group, like a shell job: Ctrl-C is a SIGINT to the whole group.
  const child = spawn(process.execPath, ['scripts/run.js', 'scripts/demo.ts', ...args], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? '/tmp',
      FLEET_SKIP_BUILD: '1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const output = collectOutput(child);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      resolve({ code, signal });
    });
  });
  const run = { child, output, exited };
  runs.push(run);
  return run;
}

const demoArgs = (): string[] => [
  '--data-dir',
  dataDir,
  '--port',
  String(port),
  '--mqtt-port',
  String(mqttPort),
  '--redis-prefix',
  redisPrefix,
  '--gateways',
  String(SIM_GATEWAYS),
  '--devices-per-gateway',
  '6',
];

async function until<T>(
  read: () => Promise<T>,
  ok: (value: T) => boolean,
  what: string,
  run: DemoRun,
  timeoutMs = 120_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > deadline)
      throw new Error(
        `timed out waiting for ${what}: ${JSON.stringify(value).slice(0, 2000)}\n${run.output().slice(-4000)}`,
      );
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Waits for the banner the demo prints once everything runs, and reads it. */
async function waitForBanner(run: DemoRun): Promise<Banner> {
  const text = await until(
    () => Promise.resolve(run.output()),
    (t) => t.includes('Press Ctrl-C to stop.') || run.child.exitCode !== null,
    'the demo banner',
    run,
    240_000,
  );
  expect(run.child.exitCode, text).toBeNull();
  const field = (label: string): string => {
    const m = new RegExp(`^\\s*${label}:\\s+(\\S+)`, 'm').exec(text);
    if (!m?.[1]) throw new Error(`no "${label}" line in the banner:\n${text}`);
    return m[1];
  };
  const agent = /gateway-agent:\s+pid (\d+), gateway ([0-9a-f-]{36}), Modbus TCP/.exec(text);
  if (!agent?.[1] || !agent[2]) throw new Error(`no gateway-agent line in the banner:\n${text}`);
  return {
    console: field('console'),
    docs: field('api docs'),
    queues: field('queue dashboard'),
    metrics: field('metrics'),
    token: field('admin token'),
    agentPid: Number(agent[1]),
    agentGatewayId: agent[2],
  };
}

/** Every process whose command line or environment names the demo's data dir. */
async function processesOf(dir: string): Promise<{ pid: number; cmd: string }[]> {
  const found: { pid: number; cmd: string }[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const [cmdline, environ] = await Promise.all(
      ['cmdline', 'environ'].map((f) => readFile(`/proc/${entry}/${f}`, 'utf8').catch(() => '')),
    );
    if (cmdline?.includes(dir) || environ?.includes(dir))
      found.push({ pid: Number(entry), cmd: (cmdline ?? '').replaceAll('\0', ' ').trim() });
  }
  return found;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function portOpen(p: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(p, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => {
      resolve(false);
    });
  });
}

/** Ctrl-C in the demo's terminal; resolves with how it ended. */
function interrupt(run: DemoRun): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  process.kill(-(run.child.pid ?? 0), 'SIGINT');
  return exitWithin(run, 90_000);
}

/** How the run ended, if it did within `timeoutMs` (it should end by itself). */
async function exitWithin(
  run: DemoRun,
  timeoutMs: number,
): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`still running after ${timeoutMs} ms\n${run.output()}`));
    }, timeoutMs);
  });
  try {
    return await Promise.race([run.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

interface GatewayRow {
  id: string;
  serialNumber: string;
  status: string;
}

const gateways = async (api: ApiClient): Promise<GatewayRow[]> =>
  (await api.get<{ items: GatewayRow[] }>('/api/v1/gateways?limit=500')).body.items;

beforeAll(async () => {
  dataRoot = await mkdtemp(join(tmpdir(), 'fleet-demo-'));
  dataDir = join(dataRoot, 'demo-data');
  port = await freePort();
  mqttPort = await freePort();
});

afterAll(async () => {
  for (const run of runs) {
    if (run.child.exitCode === null && run.child.signalCode === null) {
      try {
        process.kill(-(run.child.pid ?? 0), 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  if (dataRoot) {
    for (const p of await processesOf(dataRoot)) {
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await rm(dataRoot, { recursive: true, force: true });
  }
  await deleteRedisPrefix(redisPrefix);
});

describe('npm run demo', () => {
  let firstToken: string;
  let firstAgentGateway: string;

  it('runs the city with simulated gateways and a real agent, and Ctrl-C stops every process', async () => {
    const startedAt = Date.now();
    const run = startDemo(demoArgs());
    const banner = await waitForBanner(run);
    firstToken = banner.token;
    firstAgentGateway = banner.agentGatewayId;
    const base = `http://127.0.0.1:${port}`;
    expect(banner.console).toBe(`${base}/`);
    expect(banner.docs).toBe(`${base}/docs`);
    expect(banner.metrics).toBe(`${base}/metrics`);
    expect(banner.queues.startsWith(`${base}/admin/queues`)).toBe(true);

    // The printed URLs answer.
    expect((await fetch(banner.console)).status).toBe(200);
    expect((await fetch(banner.docs)).status).toBe(200);
    const metrics = await fetch(banner.metrics);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain('# TYPE');
    const queues = await fetch(banner.queues, { redirect: 'manual' });
    expect([200, 302, 303]).toContain(queues.status);
    expect((await fetch(`${base}/admin/queues`, { redirect: 'manual' })).status).toBe(401);

    const api = apiClient(base, { ...bearer(banner.token), 'x-tenant-id': 'danang' });

    // The city: Da Nang and Hue sites on Vietnam time, streetlights, meters and cameras.
    const sites = (
      await api.get<{ items: { id: string; timeZone: string }[] }>('/api/v1/sites?limit=500')
    ).body.items;
    expect(sites.map((s) => s.id).sort()).toEqual([
      'dn-haichau',
      'dn-lienchieu',
      'dn-nguhanhson',
      'dn-sontra',
      'hue-citadel',
      'hue-phuhoi',
    ]);
    expect(new Set(sites.map((s) => s.timeZone))).toEqual(new Set(['Asia/Ho_Chi_Minh']));
    const devices = (await api.get<{ items: { profileId: string }[] }>('/api/v1/devices?limit=500'))
      .body.items;
    const profiles = new Set(devices.map((d) => d.profileId));
    for (const p of ['streetlight-controller', 'eastron-sdm630', 'pelco-d-camera'])
      expect(profiles, `device profiles ${[...profiles].join(', ')}`).toContain(p);
    const users = (await api.get<{ items: { username: string }[] }>('/api/v1/users?limit=500')).body
      .items;
    expect(users.map((u) => u.username)).toContain('operator.danang');

    // Simulated gateways and the real agent are online.
    const online = await until(
      () => gateways(api),
      (gs) =>
        gs.filter((g) => g.serialNumber.startsWith('DN-SIM-') && g.status === 'online').length ===
          SIM_GATEWAYS && gs.some((g) => g.id === banner.agentGatewayId && g.status === 'online'),
      `${SIM_GATEWAYS} simulated gateways and the agent online`,
      run,
    );
    expect(online).toHaveLength(SIM_GATEWAYS + 1);
    expect(online.find((g) => g.id === banner.agentGatewayId)?.serialNumber).toBe('DN-AGENT-0001');

    // The real agent's readings, polled over Modbus TCP, arrive for each of its devices.
    const agentDevices = (
      await api.get<{ items: { id: string; profileId: string; connection: { kind: string } }[] }>(
        `/api/v1/gateways/${banner.agentGatewayId}/devices`,
      )
    ).body.items;
    expect(agentDevices.length).toBeGreaterThanOrEqual(3);
    for (const device of agentDevices) {
      expect(device.connection.kind).toBe('modbus-tcp');
      await until(
        async () =>
          (
            await api.get<{ points: { point: string; ts: string }[] }>(
              `/api/v1/devices/${device.id}/state`,
            )
          ).body.points ?? [],
        (points) => points.some((p) => Date.parse(p.ts) >= startedAt - 1_000),
        `readings of the agent's ${device.profileId} ${device.id}`,
        run,
      );
    }
    const meter = agentDevices.find((d) => d.profileId === 'eastron-sdm630');
    expect(meter).toBeDefined();
    const meterState = await api.get<{ points: { point: string; value: unknown }[] }>(
      `/api/v1/devices/${meter?.id ?? ''}/state`,
    );
    const voltage = meterState.body.points.find((p) => p.point === 'voltage_l1')?.value;
    expect(typeof voltage).toBe('number');
    expect(voltage as number).toBeGreaterThan(150);

    // Everything it started is running now; after Ctrl-C nothing is.
    const running = await processesOf(dataRoot);
    expect(running.length, JSON.stringify(running)).toBeGreaterThanOrEqual(4);
    expect(running.map((p) => p.cmd).join('\n')).toContain('control-plane/src/main.js');
    expect(alive(banner.agentPid)).toBe(true);

    const ended = await interrupt(run);
    expect(ended, run.output().slice(-3000)).toEqual({ code: 0, signal: null });
    expect(run.output()).toMatch(/demo stopped/);
    await until(
      () => processesOf(dataRoot),
      (ps) => ps.length === 0,
      'no process of the demo left',
      run,
      10_000,
    );
    expect(alive(banner.agentPid)).toBe(false);
    expect(await portOpen(port)).toBe(false);
    expect(await portOpen(mqttPort)).toBe(false);
  }, 360_000);

  it('reuses its data dir on a second run: same ports, token and gateways, no new enrollment', async () => {
    expect(firstToken, 'the first run must have passed').toBeDefined();
    // No port flags: the data dir's demo comes back on the ports its gateways know.
    const run = startDemo([
      '--data-dir',
      dataDir,
      '--redis-prefix',
      redisPrefix,
      '--gateways',
      String(SIM_GATEWAYS),
      '--devices-per-gateway',
      '6',
    ]);
    const banner = await waitForBanner(run);
    expect(banner.console).toBe(`http://127.0.0.1:${port}/`);
    expect(banner.token).toBe(firstToken);
    expect(banner.agentGatewayId).toBe(firstAgentGateway);
    const api = apiClient(`http://127.0.0.1:${port}`, {
      ...bearer(banner.token),
      'x-tenant-id': 'danang',
    });
    const online = await until(
      () => gateways(api),
      (gs) => gs.filter((g) => g.status === 'online').length === SIM_GATEWAYS + 1,
      'every gateway online again',
      run,
    );
    // Reused identities: the same four gateways, none enrolled twice.
    expect(online).toHaveLength(SIM_GATEWAYS + 1);

    const ended = await interrupt(run);
    expect(ended, run.output().slice(-3000)).toEqual({ code: 0, signal: null });
    await until(
      () => processesOf(dataRoot),
      (ps) => ps.length === 0,
      'no process of the demo left',
      run,
      10_000,
    );
  }, 360_000);

  it('refuses other ports on a data dir whose gateways know the first ones, naming them', async () => {
    expect(firstToken, 'the first run must have passed').toBeDefined();
    const otherPort = await freePort();
    const run = startDemo(['--data-dir', dataDir, '--port', String(otherPort)]);
    const ended = await exitWithin(run, 60_000);
    const text = run.output();
    expect(ended, text).toEqual({ code: 1, signal: null });
    expect(text).toContain(`holds a demo on port ${port} (MQTT ${mqttPort})`);
    expect(text).toContain(`--port ${port} --mqtt-port ${mqttPort}`);
    expect(await portOpen(otherPort)).toBe(false);
    expect(await processesOf(dataRoot)).toEqual([]);
  }, 120_000);

  it('says which port is taken instead of talking to whatever listens there', async () => {
    const squatter = createServer((_req, res) => {
      // Answers like a healthy control plane would, so only the port check can catch it.
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    });
    await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
    const taken = (squatter.address() as AddressInfo).port;
    try {
      const dir = join(dataRoot, 'port-taken');
      const run = startDemo([
        '--data-dir',
        dir,
        '--port',
        String(taken),
        '--mqtt-port',
        String(await freePort()),
        '--redis-prefix',
        redisPrefix,
      ]);
      const ended = await exitWithin(run, 60_000);
      const text = run.output();
      expect(ended, text).toEqual({ code: 1, signal: null });
      expect(text).toContain(`port ${taken} (PORT) on 127.0.0.1 is already in use`);
      expect(text).toContain('--port');
      expect(text).not.toContain('Press Ctrl-C');
      expect(await processesOf(dir)).toEqual([]);
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }
  }, 120_000);

  it('says how to start Redis and exits non-zero when none is reachable', async () => {
    const closedPort = await freePort();
    const dir = join(dataRoot, 'no-redis');
    const run = startDemo([
      '--data-dir',
      dir,
      '--port',
      String(await freePort()),
      '--mqtt-port',
      String(await freePort()),
      '--redis-url',
      `redis://127.0.0.1:${closedPort}`,
    ]);
    const ended = await exitWithin(run, 60_000);
    const text = run.output();
    expect(ended, text).toEqual({ code: 1, signal: null });
    expect(text).toContain(`Redis is not reachable at redis://127.0.0.1:${closedPort}`);
    expect(text).toContain('ECONNREFUSED');
    expect(text).toContain('redis-server');
    expect(text).toContain('--redis-url');
    // Nothing was started or written.
    expect(existsSync(dir)).toBe(false);
    expect(await processesOf(dir)).toEqual([]);
  }, 120_000);
});
