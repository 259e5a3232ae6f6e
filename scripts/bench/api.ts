// npm run bench:api — requests/s and latency p50/p99 of representative API calls against the
// built control plane (its own process, Postgres, Redis), beside a bare Fastify route in its own
// process, all driven by the same keep-alive HTTP client in the same run:
//   reads:  GET /api/v1/gateways/:id, GET /api/v1/devices?limit=50 (a device list page)
//   writes: PATCH /api/v1/devices/:id (tag update), POST /api/v1/gateways/:id/devices (create)
// Flags: --gateways, --devices-per-gateway (the registry it reads), --connections, --seconds.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { HttpFleetApi } from '../simulator/fleet-api.adapter.js';
import { provisionFleet } from '../simulator/fleet-provisioner.js';
import { IdentityStore } from '../simulator/identity.store.js';
import { SIMULATOR_AGENT_VERSION } from '../simulator/simulator-options.js';
import {
  freePort,
  httpLoad,
  type LoadRequest,
  type LoadResult,
  onCleanup,
  positiveInt,
  printTable,
  progress,
  requireServices,
  runBench,
  seedBenchTenant,
  startBenchControlPlane,
  waitFor,
  writeResult,
} from './bench-kit.js';

const program = new Command('bench:api')
  .description('API requests/s and p99 beside a bare Fastify route')
  .option('--gateways <n>', 'gateways in the registry', '20')
  .option('--devices-per-gateway <n>', 'devices behind each gateway', '50')
  .option('--connections <n>', 'concurrent keep-alive connections of the load generator', '16')
  .option('--seconds <n>', 'measured seconds per scenario (after 2 s of warm-up)', '10')
  .exitOverride();

/** A bare Fastify server with one JSON route, in its own process (as the control plane is). */
async function startBareFastify(): Promise<{ url: string; stop(): Promise<void> }> {
  const port = await freePort();
  const code = `
    import Fastify from 'fastify';
    const app = Fastify({ logger: false });
    const body = { id: '0190d9a4-1d2b-7c3e-9f00-000000000001', name: 'bare', status: 'online' };
    app.get('/bare/:id', async () => body);
    await app.listen({ port: ${port}, host: '127.0.0.1' });
    process.stdout.write('READY\\n');
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  };
  onCleanup('bare Fastify', stop);
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (c) => {
      reject(new Error(`bare Fastify exited (${String(c)})`));
    });
    child.stdout.on('data', (d: Buffer) => {
      if (d.toString().includes('READY')) resolve();
    });
  });
  return { url: `http://127.0.0.1:${port}`, stop };
}

async function main(): Promise<void> {
  program.parse(process.argv);
  const flags = program.opts<Record<string, string>>();
  const gateways = positiveInt('--gateways', flags.gateways);
  const devicesPerGateway = positiveInt('--devices-per-gateway', flags.devicesPerGateway);
  const connections = positiveInt('--connections', flags.connections);
  const seconds = positiveInt('--seconds', flags.seconds);
  await requireServices(['postgres', 'redis']);
  const log = progress('bench:api');

  log.info('starting the control plane');
  const cp = await startBenchControlPlane('api');
  const tenant = await seedBenchTenant(cp, 'bench-api', ['api-north', 'api-south']);
  const dir = await mkdtemp(join(tmpdir(), 'fleet-bench-api-'));
  onCleanup('identities', () => rm(dir, { recursive: true, force: true }));
  log.info(`registering ${gateways} gateways × ${devicesPerGateway} devices through the API`);
  const provisioned = await provisionFleet(
    new HttpFleetApi({ server: cp.url, token: tenant.tokens.technician, logger: log }),
    await IdentityStore.open(join(dir, 'ids.json'), cp.url, tenant.id),
    {
      gateways,
      devicesPerGateway,
      sites: ['api-north', 'api-south'],
      serialPrefix: 'API',
      model: 'rpi4',
      hardwareRevision: '1.4',
      firmwareVersion: '1.0.0',
      agentVersion: SIMULATOR_AGENT_VERSION,
      enrollConcurrency: 8,
      registerConcurrency: 8,
    },
    log,
  );
  const gatewayIds = provisioned.identities.map((i) => i.gatewayId);
  const deviceIds = provisioned.identities.flatMap((i) => Object.values(i.devices));
  // Configuration pushes of the registration settle before anything is measured.
  await waitFor(
    () => tenant.as.viewer.request<{ items: unknown[] }>('GET', '/api/v1/devices?limit=1'),
    (a) => a.status === 200,
    'the API',
    30_000,
  );

  const bare = await startBareFastify();
  const auth = (role: 'viewer' | 'operator' | 'technician'): Record<string, string> => ({
    authorization: `Bearer ${tenant.tokens[role]}`,
  });
  const pick = <T>(list: readonly T[], i: number): T => list[(i * 7919) % list.length];
  let created = 0;
  const scenarios: [string, string, (i: number) => LoadRequest, number[]][] = [
    [
      'bare Fastify GET (baseline)',
      bare.url,
      (i) => ({ method: 'GET', path: `/bare/${i}` }),
      [200],
    ],
    [
      'GET /api/v1/gateways/:id',
      cp.url,
      (i) => ({
        method: 'GET',
        path: `/api/v1/gateways/${pick(gatewayIds, i)}`,
        headers: auth('viewer'),
      }),
      [200],
    ],
    [
      'GET /api/v1/devices?limit=50',
      cp.url,
      (i) => ({
        method: 'GET',
        path: `/api/v1/devices?limit=50${i % 2 === 0 ? '' : '&tag=streetlight'}`,
        headers: auth('viewer'),
      }),
      [200],
    ],
    [
      'PATCH /api/v1/devices/:id (tags)',
      cp.url,
      (i) => ({
        method: 'PATCH',
        path: `/api/v1/devices/${pick(deviceIds, i)}`,
        headers: auth('technician'),
        body: JSON.stringify({ tags: ['simulated', 'streetlight', `batch-${i % 10}`] }),
      }),
      [200],
    ],
    [
      'POST /api/v1/gateways/:id/devices',
      cp.url,
      (i) => {
        created += 1;
        const n = created;
        return {
          method: 'POST',
          path: `/api/v1/gateways/${pick(gatewayIds, i)}/devices`,
          headers: auth('technician'),
          body: JSON.stringify({
            name: `Bench light ${n}`,
            profileId: 'streetlight-controller',
            connection: {
              kind: 'modbus-tcp',
              host: `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`,
              port: 502,
              unitId: 1,
            },
            tags: ['bench', 'streetlight'],
          }),
        };
      },
      [201],
    ],
  ];

  const results: LoadResult[] = [];
  for (const [name, url, next, ok] of scenarios) {
    log.info(`${name}: ${connections} connections, ${seconds} s`);
    results.push(await httpLoad(name, url, next, { connections, seconds, okStatus: ok }));
  }
  await bare.stop();

  const baseline = results[0];
  console.log(
    `\nAPI bench: ${gateways} gateways, ${deviceIds.length} devices, ${connections} connections, ${seconds} s per scenario\n`,
  );
  printTable([
    ['scenario', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'vs bare Fastify'],
    ...results.map((r) => [
      r.name,
      r.perSecond,
      r.p50Ms,
      r.p99Ms,
      r.errors,
      `${((r.perSecond / baseline.perSecond) * 100).toFixed(1)} %`,
    ]),
  ]);
  writeResult('api', {
    sizes: { gateways, devices: deviceIds.length, connections, seconds },
    scenarios: results,
    headline: results.slice(1).map((r) => ({
      label: `${r.name} req/s (p99 ${r.p99Ms.toFixed(1)} ms)`,
      value: r.perSecond,
      unit: 'req/s',
      baselineLabel: 'bare Fastify GET req/s',
      baseline: baseline.perSecond,
    })),
  });
}

await runBench('api', main);
