// npm run bench:rollout — two figures:
// 1. orchestration time of a staged rollout: a signed release uploaded through the API, a rollout
//    over every simulated gateway in 4 waves (1 %, 10 %, 50 %, 100 %) with a success gate between
//    waves; the simulated gateways (real MQTT clients) verify the signed manifest against the pinned
//    release key and walk the OTA phases (download, install, reboot into the new version, verify)
//    with short simulated phase times. Reported as wall time from POST to completed, per wave, and
//    beside the floor the simulated phases alone impose (one walk per wave).
// 2. artifact serving: real HTTP GETs of the download URLs the gateways were given (signed, per
//    gateway), 100 at a time, beside a plain Node file stream server on the same file and client.
// The broker (--broker) is a private Mosquitto by default, as in production at fleet scale.
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { generateReleaseKey, signManifest } from '@fleet/firmware';
import type { LinkConnector } from '../simulator/gateway-link.port.js';
import { connectMqttLink } from '../simulator/mqtt-gateway-link.adapter.js';
import { seedFleet, startFleet, type FleetPlan } from './bench-fleet.js';
import {
  measureDynsecProvisioning,
  startBenchMosquitto,
  type BenchMosquitto,
} from './bench-mosquitto.js';
import {
  BenchError,
  freePort,
  onCleanup,
  percentile,
  positiveInt,
  printTable,
  processCpuSeconds,
  progress,
  requireServices,
  runBench,
  seedBenchTenant,
  startBenchControlPlane,
  waitFor,
  writeResult,
} from './bench-kit.js';

const program = new Command('bench:rollout')
  .description('rollout orchestration time and artifact-serving throughput')
  .option('--gateways <n>', 'simulated gateways in the rollout', '10000')
  .option('--waves <list>', 'cumulative waves', '1%,10%,50%,100%')
  .option(
    '--phase-ms <n>',
    'simulated time of each OTA phase (download, install, reboot, verify)',
    '1000',
  )
  .option('--artifact-mb <n>', 'size of the firmware artifact, MiB', '16')
  .option('--concurrency <n>', 'downloads in flight at once', '100')
  .option('--downloads <n>', 'downloads per server (each a full GET)', '400')
  .option('--timeout-minutes <n>', 'give up waiting for the rollout after this long', '30')
  .option('--connect-rate <n>', 'new gateway connections per second while the fleet starts', '50')
  .option(
    '--broker <kind>',
    'mosquitto (a private Mosquitto with dynamic security on a random port; reaches 10,000 gateways on the 2-core machine) or embedded (aedes inside the control plane; stops keeping up near 3,000 there)',
    'mosquitto',
  )
  .option(
    '--dynsec-setup <how>',
    'with --broker mosquitto: bulk (gateways enrolled on the embedded broker, then written into dynamic-security.json at once and the control plane moved to Mosquitto) or live (the control plane creates each gateway on Mosquitto as it enrolls, as in production: slow for large fleets)',
    'bulk',
  )
  .exitOverride();

const BROKERS = ['embedded', 'mosquitto'] as const;
type Broker = (typeof BROKERS)[number];
const DYNSEC_SETUPS = ['bulk', 'live'] as const;
type DynsecSetup = (typeof DYNSEC_SETUPS)[number];

interface Wave {
  index: number;
  spec: string;
  size: number;
  state: string;
  counts: Record<string, number>;
}
interface Rollout {
  id: string;
  state: string;
  stateReason: string | null;
  total: number;
  counts: Record<string, number>;
  waves: Wave[];
}

interface Target {
  path: string;
  headers: Record<string, string>;
}

interface DownloadFigures {
  server: string;
  downloads: number;
  failed: number;
  concurrency: number;
  seconds: number;
  mibPerSecond: number;
  downloadsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
}

/** `downloads` full GETs, `concurrency` at a time, each read to the end and its size checked. */
async function download(
  server: string,
  base: string,
  targets: readonly Target[],
  downloads: number,
  concurrency: number,
  size: number,
): Promise<DownloadFigures> {
  const url = new URL(base);
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  let next = 0;
  let failed = 0;
  const times: number[] = [];
  const one = (target: Target): Promise<void> =>
    new Promise((resolve) => {
      const started = process.hrtime.bigint();
      const req = request(
        {
          agent,
          host: url.hostname,
          port: url.port,
          path: target.path,
          headers: target.headers,
          timeout: 120_000,
        },
        (res) => {
          let bytes = 0;
          res.on('data', (chunk: Buffer) => {
            bytes += chunk.length;
          });
          res.once('end', () => {
            if (res.statusCode !== 200 || bytes !== size) failed += 1;
            times.push(Number(process.hrtime.bigint() - started) / 1e6);
            resolve();
          });
          res.once('error', () => {
            failed += 1;
            resolve();
          });
        },
      );
      req.once('error', () => {
        failed += 1;
        resolve();
      });
      req.once('timeout', () => {
        req.destroy(new Error('timeout'));
      });
      req.end();
    });
  const t0 = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < downloads) {
        const i = next++;
        await one(targets[i % targets.length]);
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  agent.destroy();
  times.sort((a, b) => a - b);
  const ok = downloads - failed;
  return {
    server,
    downloads,
    failed,
    concurrency,
    seconds,
    mibPerSecond: (ok * size) / 2 ** 20 / seconds,
    downloadsPerSecond: ok / seconds,
    p50Ms: percentile(times, 50),
    p99Ms: percentile(times, 99),
  };
}

/** A plain Node HTTP server streaming one file (fs.createReadStream), in its own process. */
async function startPlainFileServer(file: string): Promise<{ url: string; stop(): Promise<void> }> {
  const port = await freePort();
  const code = `
    import { createServer } from 'node:http';
    import { createReadStream, statSync } from 'node:fs';
    const file = ${JSON.stringify(file)};
    const size = statSync(file).size;
    createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': size });
      createReadStream(file).pipe(res);
    }).listen(${port}, '127.0.0.1', () => process.stdout.write('READY\\n'));
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
  onCleanup('plain file server', stop);
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (c) => {
      reject(new Error(`plain file server exited (${String(c)})`));
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
  const waves = flags.waves.split(',').map((w) => w.trim());
  const phaseMs = positiveInt('--phase-ms', flags.phaseMs);
  const artifactMib = positiveInt('--artifact-mb', flags.artifactMb);
  const concurrency = positiveInt('--concurrency', flags.concurrency);
  const downloads = positiveInt('--downloads', flags.downloads);
  const timeoutMs = positiveInt('--timeout-minutes', flags.timeoutMinutes) * 60_000;
  if (waves.length === 0) throw new BenchError('--waves: give at least one wave', 2);
  if (!(BROKERS as readonly string[]).includes(flags.broker))
    throw new BenchError(`--broker: one of ${BROKERS.join(', ')} (got "${flags.broker}")`, 2);
  const brokerKind = flags.broker as Broker;
  if (!(DYNSEC_SETUPS as readonly string[]).includes(flags.dynsecSetup))
    throw new BenchError(
      `--dynsec-setup: one of ${DYNSEC_SETUPS.join(', ')} (got "${flags.dynsecSetup}")`,
      2,
    );
  const dynsecSetup = flags.dynsecSetup as DynsecSetup;
  const liveDynsec = brokerKind === 'mosquitto' && dynsecSetup === 'live';
  await requireServices(['postgres', 'redis']);
  const log = progress('bench:rollout');

  let mosquitto: BenchMosquitto | undefined = liveDynsec
    ? await startBenchMosquitto('rollout')
    : undefined;
  if (mosquitto) log.info(`private Mosquitto on ${mosquitto.url} (log ${mosquitto.logFile})`);
  log.info('starting the control plane');
  const cp = await startBenchControlPlane(
    'rollout',
    { PRESENCE_DEBOUNCE_MS: '0', FIRMWARE_URL_TTL_SECONDS: '3600' },
    mosquitto,
  );
  const sites = ['ota-north', 'ota-south'];
  const tenant = await seedBenchTenant(cp, 'bench-ota', sites);
  const releaser = tenant.as['release-manager'];

  // A release key, pinned on the simulated gateways too, and a signed release.
  const dir = await mkdtemp(join(tmpdir(), 'fleet-bench-ota-'));
  onCleanup(`release dir ${dir}`, () => rm(dir, { recursive: true, force: true }));
  const key = generateReleaseKey();
  const publicKeyFile = join(dir, 'release.pub.pem');
  await writeFile(publicKeyFile, key.publicKeyPem);
  await releaser.expect('POST', '/api/v1/firmware/keys', [201], {
    name: 'bench release key',
    publicKeyPem: key.publicKeyPem,
  });
  const bytes = randomBytes(artifactMib * 2 ** 20);
  const artifactFile = join(dir, 'agent-1.1.0.tar');
  await writeFile(artifactFile, bytes);
  const envelope = signManifest(
    {
      version: '1.1.0',
      kind: 'agent-bundle',
      models: ['rpi4'],
      sha256: createHash('sha256').update(bytes).digest('hex'),
      size: bytes.length,
      releaseNotes: 'bench release',
      createdAt: new Date().toISOString(),
    },
    key.privateKeyPem,
  );
  const ticket = await releaser.expect<{ id: string; uploadPath: string }>(
    'POST',
    '/api/v1/firmware/releases',
    [201],
    envelope,
  );
  const put = await fetch(cp.url + ticket.body.uploadPath, {
    method: 'PUT',
    headers: {
      authorization: `Bearer ${tenant.tokens['release-manager']}`,
      'content-type': 'application/octet-stream',
    },
    body: bytes,
    signal: AbortSignal.timeout(120_000),
  });
  if (put.status !== 201)
    throw new Error(`artifact upload answered ${put.status}: ${await put.text()}`);
  const releaseId = ticket.body.id;

  const plan: FleetPlan = {
    gateways,
    devicesPerGateway: 0,
    sites,
    serialPrefix: 'OTA',
    connectRate: positiveInt('--connect-rate', flags.connectRate),
    // Mosquitto applies dynsec changes one at a time, rewriting its whole JSON file each time, and
    // the control plane gives each change 5 s: few enrollments in flight keep the queue short.
    enrollConcurrency: liveDynsec ? 4 : 16,
  };
  log.info(`enrolling ${gateways} gateways`);
  const seeded = await seedFleet(cp, tenant, plan, log);
  let bulkSeconds = Number.NaN;
  if (brokerKind === 'mosquitto' && !mosquitto) {
    const t = Date.now();
    log.info(
      `enrolled on the embedded broker in ${seeded.seconds.toFixed(0)} s; writing them into Mosquitto's dynamic-security.json and moving the control plane to Mosquitto`,
    );
    mosquitto = await startBenchMosquitto(
      'rollout',
      seeded.identities.map((i) => ({ gatewayId: i.gatewayId, password: i.mqtt.password })),
    );
    log.info(`private Mosquitto on ${mosquitto.url} (log ${mosquitto.logFile})`);
    await cp.relaunch(mosquitto);
    bulkSeconds = (Date.now() - t) / 1000;
  }
  const dynsec = mosquitto
    ? { bytes: mosquitto.dynsecBytes(), cpuSeconds: mosquitto.cpuSeconds(), bulkSeconds }
    : undefined;
  log.info(
    `enrolled in ${seeded.seconds.toFixed(0)} s` +
      (dynsec
        ? ` (Mosquitto: ${(dynsec.bytes / 2 ** 20).toFixed(1)} MiB dynamic-security.json, ${dynsec.cpuSeconds.toFixed(0)} CPU s)`
        : '') +
      '; connecting the simulated gateways',
  );
  // The download instructions the gateways receive, for the serving figure.
  const instructions = new Map<string, Target>();
  const capturing: LinkConnector = (options, events) =>
    connectMqttLink(options, {
      ...events,
      onMessage(topic, payload) {
        if (topic.endsWith('/ota') && instructions.size < 10_000) {
          try {
            const m = JSON.parse(payload.toString()) as { downloadUrl?: string; token?: string };
            if (m.downloadUrl && m.token) {
              const u = new URL(m.downloadUrl);
              instructions.set(u.pathname, {
                path: u.pathname + u.search,
                headers: { authorization: `Bearer ${m.token}` },
              });
            }
          } catch {
            // not ours to judge: the gateway itself validates every downlink
          }
        }
        events.onMessage(topic, payload);
      },
    });
  const phase = String(phaseMs);
  const fleet = await startFleet(
    cp,
    tenant,
    seeded,
    plan,
    {
      heartbeatSeconds: '60',
      releaseKey: [publicKeyFile],
      otaDownloadMs: phase,
      otaInstallMs: phase,
      otaRebootMs: phase,
      otaVerifyMs: phase,
      // Bulk setup: the gateways were told the embedded broker's address when they enrolled.
      ...(mosquitto ? { mqttUrl: mosquitto.url } : {}),
    },
    log,
    capturing,
  );
  await waitFor(
    async () =>
      (
        await cp.db.pool.query<{ n: number }>(
          `select count(*)::int as n from gateways where connectivity = 'online' and firmware_version = '1.0.0'`,
        )
      ).rows[0].n,
    (n) => n >= gateways,
    'every gateway online',
    Math.max(120_000, gateways * 50),
    2_000,
  );

  log.info(`rollout over ${gateways} gateways in waves ${waves.join(', ')}`);
  const cpu0 = processCpuSeconds(cp.pid);
  const brokerCpu0 = mosquitto?.cpuSeconds() ?? Number.NaN;
  const t0 = Date.now();
  const created = await releaser.expect<Rollout>('POST', '/api/v1/rollouts', [201], {
    releaseId,
    name: 'bench rollout',
    selector: 'model=rpi4',
    waves,
    successThresholdPercent: 100,
    failureThreshold: { percent: 5, minSample: 10, action: 'pause' },
    maxConcurrent: 1_000_000,
    startRatePerMinute: 1_000_000,
  });
  const acceptedMs = Date.now() - t0;
  const waveDone = new Map<number, number>();
  let lastLog = 0;
  const final = await waitFor(
    async () => {
      const r = (
        await releaser.expect<Rollout>('GET', `/api/v1/rollouts/${created.body.id}`, [200])
      ).body;
      for (const w of r.waves)
        if (w.state === 'done' && !waveDone.has(w.index)) waveDone.set(w.index, Date.now() - t0);
      if (Date.now() - lastLog > 10_000) {
        lastLog = Date.now();
        log.info(
          `${r.state} wave ${r.waves.filter((w) => w.state === 'done').length}/${r.waves.length} ${JSON.stringify(r.counts)}`,
        );
      }
      return r;
    },
    (r) => ['completed', 'aborted', 'canceled', 'paused'].includes(r.state),
    'the rollout to finish',
    timeoutMs,
    250,
  );
  const totalMs = Date.now() - t0;
  const cpu = processCpuSeconds(cp.pid) - cpu0;
  const brokerCpu = (mosquitto?.cpuSeconds() ?? Number.NaN) - brokerCpu0;
  if (final.state !== 'completed')
    throw new Error(
      `the rollout ended ${final.state}: ${final.stateReason ?? ''} ${JSON.stringify(final.counts)}`,
    );
  const stats = fleet.simulator.stats;
  const floorMs = 4 * phaseMs * final.waves.length;

  // Serving: the URLs the gateways were given, against a plain file stream of the same bytes.
  const targets = [...instructions.values()];
  if (targets.length === 0) throw new Error('no download instruction was captured');
  log.info(
    `downloads: ${downloads} × ${artifactMib} MiB, ${concurrency} at a time, from ${targets.length} gateway URLs`,
  );
  const plain = await startPlainFileServer(artifactFile);
  const serving = await download(
    'control plane (signed URL, per gateway)',
    cp.url,
    targets,
    downloads,
    concurrency,
    bytes.length,
  );
  const baseline = await download(
    'plain Node file stream (baseline)',
    plain.url,
    [{ path: '/', headers: {} }],
    downloads,
    concurrency,
    bytes.length,
  );
  await plain.stop();
  // Live enrollment on this broker at this size, measured last so it cannot disturb the figures.
  const provisioning = mosquitto
    ? await measureDynsecProvisioning(mosquitto, gateways, 10)
    : undefined;

  const brokerLabel =
    brokerKind === 'mosquitto'
      ? `private Mosquitto with dynamic security (${dynsecSetup} dynsec setup)`
      : 'embedded broker (aedes, in the control plane)';
  console.log(
    `\nRollout: ${gateways} simulated gateways on the ${brokerLabel}, waves ${waves.join(', ')}, each OTA phase ${phaseMs} ms simulated`,
  );
  console.log(
    `setup (not measured): enrolled in ${seeded.seconds.toFixed(0)} s` +
      (dynsec
        ? `${liveDynsec ? ' through Mosquitto' : `, then written into dynamic-security.json and the control plane moved to Mosquitto in ${dynsec.bulkSeconds.toFixed(0)} s`}; dynamic-security.json ${(dynsec.bytes / 2 ** 20).toFixed(1)} MiB, broker CPU ${dynsec.cpuSeconds.toFixed(0)} s`
        : '') +
      '\n',
  );
  let previous = 0;
  printTable([
    ['wave', 'size', 'done at', 'wave time'],
    ...final.waves.map((w) => {
      const at = waveDone.get(w.index) ?? totalMs;
      const row = [
        `${w.index} (${w.spec})`,
        w.size,
        `${(at / 1000).toFixed(1)} s`,
        `${((at - previous) / 1000).toFixed(1)} s`,
      ];
      previous = at;
      return row;
    }),
  ]);
  console.log(
    `\norchestration: ${(totalMs / 1000).toFixed(1)} s from POST to completed (POST answered in ${acceptedMs} ms); ` +
      `simulated phases alone: ${(floorMs / 1000).toFixed(0)} s; control plane CPU ${cpu.toFixed(0)} s; ` +
      (mosquitto ? `Mosquitto CPU ${brokerCpu.toFixed(0)} s; ` : '') +
      `simulated gateways reported ${stats.otaSucceeded} succeeded (repeats included), ${stats.otaFailed} failed, ${stats.otaRolledBack} rolled back\n`,
  );
  printTable([
    ['server', 'MiB/s', 'downloads/s', 'p50 ms', 'p99 ms', 'failed'],
    ...[serving, baseline].map((d) => [
      d.server,
      d.mibPerSecond,
      d.downloadsPerSecond,
      d.p50Ms,
      d.p99Ms,
      d.failed,
    ]),
  ]);
  if (provisioning)
    console.log(
      `\nMosquitto dynsec with ${provisioning.existing} gateways in it: one more gateway (createRole + createClient, the control plane's adapter, one at a time) took ${provisioning.meanMs.toFixed(0)} ms on average, ${provisioning.maxMs.toFixed(0)} ms at most (${provisioning.gateways} created); dynamic-security.json ${(mosquitto!.dynsecBytes() / 2 ** 20).toFixed(1)} MiB`,
    );
  writeResult('rollout', {
    sizes: {
      gateways,
      waves: waves.join(','),
      phaseMs,
      artifactMib,
      concurrency,
      downloads,
      broker: brokerKind,
      ...(brokerKind === 'mosquitto' ? { dynsecSetup } : {}),
    },
    setupSeconds: seeded.seconds,
    ...(dynsec
      ? {
          mosquittoSetup: {
            dynsecSetup,
            dynsecBytes: dynsec.bytes,
            brokerCpuSeconds: dynsec.cpuSeconds,
            ...(liveDynsec ? {} : { bulkSeconds: dynsec.bulkSeconds }),
          },
        }
      : {}),
    rollout: {
      state: final.state,
      counts: final.counts,
      acceptedMs,
      totalSeconds: totalMs / 1000,
      simulatedPhaseFloorSeconds: floorMs / 1000,
      waves: final.waves.map((w) => ({
        index: w.index,
        spec: w.spec,
        size: w.size,
        doneAtSeconds: (waveDone.get(w.index) ?? totalMs) / 1000,
      })),
      controlPlaneCpuSeconds: cpu,
      ...(mosquitto ? { brokerCpuSeconds: brokerCpu } : {}),
    },
    downloads: { controlPlane: serving, plainFileStream: baseline, gatewayUrls: targets.length },
    ...(provisioning ? { dynsecProvisioning: provisioning } : {}),
    headline: [
      {
        label: `rollout orchestration s, ${gateways} gateways in ${waves.length} waves on ${brokerKind === 'mosquitto' ? 'Mosquitto' : 'the embedded broker'} (simulated phases alone ${(floorMs / 1000).toFixed(0)} s)`,
        value: totalMs / 1000,
        unit: 's',
        baselineLabel: 'floor of the simulated phases, s',
        baseline: floorMs / 1000,
      },
      {
        label: `artifact serving MiB/s, ${concurrency} concurrent downloads`,
        value: serving.mibPerSecond,
        unit: 'MiB/s',
        baselineLabel: 'plain Node file stream MiB/s',
        baseline: baseline.mibPerSecond,
      },
    ],
  });
}

await runBench('rollout', main);
