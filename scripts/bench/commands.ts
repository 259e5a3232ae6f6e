// npm run bench:commands — a fan-out of device commands end to end: one POST /api/v1/commands
// (selector tag=streetlight, setDim 40) to every street light of a simulated fleet; the control
// plane records the executions (outbox), BullMQ dispatches one batch per gateway, the simulated
// gateways (real MQTT clients with enrolled credentials) acknowledge, run setDim against their
// simulated devices and report results back. Reports device commands/s and latency p50/p99
// (POST sent → result recorded), beside raw BullMQ no-op jobs on the same Redis in the same run.
// Defaults: 2,000 gateways × 50 street lights = 100,000 device commands.
import { Command } from 'commander';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { planGatewayDevices } from '../simulator/device-mix.js';
import { seedFleet, startFleet, type FleetPlan } from './bench-fleet.js';
import {
  benchRedisPrefix,
  positiveInt,
  printTable,
  processCpuSeconds,
  progress,
  REDIS_URL,
  requireServices,
  runBench,
  seedBenchTenant,
  sleep,
  startBenchControlPlane,
  waitFor,
  writeResult,
} from './bench-kit.js';

const program = new Command('bench:commands')
  .description('device commands/s and latency end to end, beside raw BullMQ no-op jobs')
  .option('--gateways <n>', 'simulated gateways', '2000')
  .option(
    '--lights-per-gateway <n>',
    'street lights behind each gateway (the command targets)',
    '50',
  )
  .option('--bullmq-jobs <n>', 'no-op jobs of the BullMQ baseline', '100000')
  .option('--timeout-minutes <n>', 'give up waiting for the command after this long', '30')
  .option('--connect-rate <n>', 'new gateway connections per second while the fleet starts', '25')
  .exitOverride();

/** Devices per gateway for the simulator's cabinet mix to hold exactly `lights` street lights. */
function devicesForLights(lights: number): number {
  for (let n = lights; ; n++) {
    const specs = planGatewayDevices('x', n);
    if (specs.filter((s) => s.tags.includes('streetlight')).length >= lights) return n;
  }
}

interface BullmqBaseline {
  jobs: number;
  concurrency: number;
  seconds: number;
  jobsPerSecond: number;
}

/**
 * The least BullMQ can do on this Redis: `jobs` no-op jobs added in bulk (1,000 per call) with the
 * control plane's default job options, run by one worker at the control plane's concurrency.
 */
async function bullmqBaseline(jobs: number, concurrency: number): Promise<BullmqBaseline> {
  const prefix = benchRedisPrefix('bullmq');
  const producer = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  const workerConnection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const queue = new Queue('noop', { connection: producer, prefix });
  let done = 0;
  let finished: () => void = () => undefined;
  const allDone = new Promise<void>((resolve) => {
    finished = resolve;
  });
  const worker = new Worker(
    'noop',
    async () => {
      done += 1;
      if (done === jobs) finished();
      return Promise.resolve();
    },
    { connection: workerConnection, prefix, concurrency, autorun: false },
  );
  const options = {
    attempts: 8,
    backoff: { type: 'exponential', delay: 1_000 },
    removeOnComplete: { age: 24 * 3600, count: 100_000 },
    removeOnFail: { age: 7 * 24 * 3600 },
  };
  try {
    const t0 = process.hrtime.bigint();
    void worker.run();
    for (let i = 0; i < jobs; i += 1_000) {
      const n = Math.min(1_000, jobs - i);
      await queue.addBulk(
        Array.from({ length: n }, (_, k) => ({
          name: 'noop',
          data: { i: i + k },
          opts: { ...options, jobId: `noop-${i + k}` },
        })),
      );
    }
    await allDone;
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    return { jobs, concurrency, seconds, jobsPerSecond: jobs / seconds };
  } finally {
    await worker.close();
    await queue.close();
    producer.disconnect();
    workerConnection.disconnect();
  }
}

interface CommandView {
  id: string;
  total: number;
  done: boolean;
  state: string;
  counts: Record<string, number>;
}

async function main(): Promise<void> {
  program.parse(process.argv);
  const flags = program.opts<Record<string, string>>();
  const gateways = positiveInt('--gateways', flags.gateways);
  const lights = positiveInt('--lights-per-gateway', flags.lightsPerGateway);
  const bullmqJobs = positiveInt('--bullmq-jobs', flags.bullmqJobs);
  const timeoutMs = positiveInt('--timeout-minutes', flags.timeoutMinutes) * 60_000;
  const concurrency = 50; // the control plane's WORKER_CONCURRENCY default
  await requireServices(['postgres', 'redis']);
  const log = progress('bench:commands');

  log.info(`baseline: ${bullmqJobs} raw BullMQ no-op jobs (concurrency ${concurrency})`);
  const baseline = await bullmqBaseline(bullmqJobs, concurrency);

  log.info('starting the control plane');
  const cp = await startBenchControlPlane('commands', {
    WORKER_CONCURRENCY: String(concurrency),
    PRESENCE_DEBOUNCE_MS: '0',
  });
  const sites = ['cmd-d1', 'cmd-d3'];
  const tenant = await seedBenchTenant(cp, 'bench-cmd', sites);
  const plan: FleetPlan = {
    gateways,
    devicesPerGateway: devicesForLights(lights),
    sites,
    serialPrefix: 'CMD',
    connectRate: positiveInt('--connect-rate', flags.connectRate),
  };
  log.info(
    `seeding ${gateways} gateways × ${plan.devicesPerGateway} devices (${lights} street lights each)`,
  );
  const seeded = await seedFleet(cp, tenant, plan, log);
  log.info(`seeded in ${seeded.seconds.toFixed(0)} s; connecting the simulated gateways`);
  // Telemetry kept to a trickle: this benchmark is about commands.
  const fleet = await startFleet(
    cp,
    tenant,
    seeded,
    plan,
    {
      pollScale: '1000',
      readingHeartbeatSeconds: '86400',
      heartbeatSeconds: '60',
      batchMs: '10000',
    },
    log,
  );
  const stats = fleet.simulator.stats;
  await waitFor(
    async () =>
      (
        await cp.db.pool.query<{ n: number }>(
          `select count(*)::int as n from gateways where connectivity = 'online' and config_applied_version = config_version`,
        )
      ).rows[0].n,
    (n) => n >= gateways,
    'every gateway online with its configuration applied',
    Math.max(300_000, gateways * 150),
    2_000,
  );
  await sleep(2_000);

  const total = gateways * lights;
  log.info(`sending setDim to ${total} street lights`);
  const cpuBefore = processCpuSeconds(cp.pid);
  const simCpuBefore = process.cpuUsage();
  const sentAt = new Date();
  const t0 = Date.now();
  const created = await tenant.as.operator.expect<CommandView>('POST', '/api/v1/commands', [201], {
    target: { selector: 'tag=streetlight' },
    command: 'setDim',
    params: { level: 40 },
    ttlSeconds: 3600,
  });
  const acceptedMs = Date.now() - t0;
  log.info(`accepted in ${acceptedMs} ms (${created.body.total} executions recorded)`);
  let lastLog = 0;
  const final = await waitFor(
    async () => {
      const c = (
        await tenant.as.viewer.expect<CommandView>(
          'GET',
          `/api/v1/commands/${created.body.id}?limit=1`,
          [200],
        )
      ).body;
      if (Date.now() - lastLog > 10_000) {
        lastLog = Date.now();
        log.info(`counts ${JSON.stringify(c.counts)}`);
      }
      return c;
    },
    (c) => c.done,
    'the command to finish',
    timeoutMs,
    1_000,
  );
  const cpuSeconds = processCpuSeconds(cp.pid) - cpuBefore;
  const simCpu = process.cpuUsage(simCpuBefore);
  const simCpuSeconds = (simCpu.user + simCpu.system) / 1e6;
  const timing = (
    await cp.db.pool.query<{
      n: number;
      p50: number;
      p99: number;
      max: number;
      last: number;
      firstSent: number;
    }>(
      `select count(*)::int as n,
         (percentile_cont(0.5) within group (order by extract(epoch from finished_at - $2::timestamptz)) * 1000)::float8 as p50,
         (percentile_cont(0.99) within group (order by extract(epoch from finished_at - $2::timestamptz)) * 1000)::float8 as p99,
         (max(extract(epoch from finished_at - $2::timestamptz)) * 1000)::float8 as max,
         max(extract(epoch from finished_at - $2::timestamptz))::float8 as last,
         (min(extract(epoch from sent_at - $2::timestamptz)) * 1000)::float8 as "firstSent"
       from command_executions where command_id = $1 and state = 'succeeded'`,
      [created.body.id, sentAt.toISOString()],
    )
  ).rows[0];
  const succeeded = final.counts.succeeded ?? 0;
  const commandsPerSecond = succeeded / timing.last;

  console.log(
    `\nCommand fan-out: ${gateways} simulated gateways × ${lights} street lights = ${total} device commands (setDim 40)\n`,
  );
  printTable([
    ['figure', 'value'],
    ['device commands succeeded', `${succeeded} of ${created.body.total}`],
    [
      'counts by state',
      Object.entries(final.counts)
        .filter(([, n]) => n > 0)
        .map(([state, n]) => `${state} ${n}`)
        .join(', '),
    ],
    ['POST accepted (executions recorded)', `${acceptedMs} ms`],
    ['first batch sent', `${timing.firstSent.toFixed(0)} ms`],
    ['all results recorded', `${timing.last.toFixed(1)} s`],
    ['device commands/s end to end', commandsPerSecond],
    ['latency p50 (POST sent → result recorded)', `${(timing.p50 / 1000).toFixed(2)} s`],
    ['latency p99', `${(timing.p99 / 1000).toFixed(2)} s`],
    ['control-plane CPU during the command', `${cpuSeconds.toFixed(1)} s`],
    ['simulator (this process) CPU during the command', `${simCpuSeconds.toFixed(1)} s`],
    [
      'simulator: executions received / duplicates',
      `${stats.commandsReceived} / ${stats.commandsDuplicate}`,
    ],
    ['baseline: raw BullMQ no-op jobs/s', baseline.jobsPerSecond],
    [
      '  (jobs, concurrency, seconds)',
      `${baseline.jobs}, ${baseline.concurrency}, ${baseline.seconds.toFixed(1)}`,
    ],
  ]);
  writeResult('commands', {
    sizes: {
      gateways,
      lightsPerGateway: lights,
      devicesPerGateway: plan.devicesPerGateway,
      deviceCommands: total,
    },
    setupSeconds: seeded.seconds,
    command: {
      executions: created.body.total,
      counts: final.counts,
      acceptedMs,
      firstSentMs: timing.firstSent,
      allDoneSeconds: timing.last,
      commandsPerSecond,
      latencyP50Ms: timing.p50,
      latencyP99Ms: timing.p99,
      latencyMaxMs: timing.max,
      controlPlaneCpuSeconds: cpuSeconds,
      simulatorCpuSeconds: simCpuSeconds,
    },
    simulator: { commandsReceived: stats.commandsReceived, duplicates: stats.commandsDuplicate },
    bullmqBaseline: baseline,
    headline: [
      {
        label: `device commands/s end to end (p50 ${(timing.p50 / 1000).toFixed(1)} s, p99 ${(timing.p99 / 1000).toFixed(1)} s)`,
        value: commandsPerSecond,
        unit: 'commands/s',
        baselineLabel: 'raw BullMQ no-op jobs/s',
        baseline: baseline.jobsPerSecond,
      },
    ],
  });
}

await runBench('commands', main);
