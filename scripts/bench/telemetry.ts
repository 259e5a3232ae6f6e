// npm run bench:telemetry — points/s ingested end to end: simulated gateways (real MQTT clients
// with enrolled credentials) poll their simulated devices and publish telemetry batches; the control
// plane validates them, keeps the readings of each gateway's own devices and writes them in batches
// (history + latest state) into Postgres. Measured as rows that reached the telemetry table per
// second over a window, beside a plain batched INSERT (unnest, the same batch size) into a copy of
// that table in the same database and run.
import { Command } from 'commander';
import { seedFleet, startFleet, type FleetPlan } from './bench-fleet.js';
import {
  type BenchDatabase,
  positiveInt,
  printTable,
  processCpuSeconds,
  progress,
  requireServices,
  runBench,
  seedBenchTenant,
  sleep,
  startBenchControlPlane,
  waitFor,
  writeResult,
} from './bench-kit.js';

const program = new Command('bench:telemetry')
  .description('telemetry points/s into Postgres end to end, beside a plain batched INSERT')
  .option('--gateways <n>', 'simulated gateways', '100')
  .option('--devices-per-gateway <n>', 'devices behind each gateway', '20')
  .option('--seconds <n>', 'measured window, after a warm-up of 15 s', '30')
  .option(
    '--poll-scale <x>',
    'multiplies every profile poll period (0.1: street-light status every 3 s)',
    '0.1',
  )
  .option('--batch-ms <n>', 'each gateway publishes one telemetry batch this often', '1000')
  .option('--baseline-rows <n>', 'rows of the plain INSERT baseline', '500000')
  .option('--connect-rate <n>', 'new gateway connections per second while the fleet starts', '50')
  .exitOverride();

const INSERT_BATCH = 5_000; // the control plane's flush size

interface Baseline {
  rows: number;
  batch: number;
  seconds: number;
  pointsPerSecond: number;
}

/** Plain batched INSERTs (arrays unnested, one statement per 5,000 rows) into a copy of the table. */
async function insertBaseline(
  db: BenchDatabase,
  rows: number,
  devices: string[],
): Promise<Baseline> {
  await db.pool.query('create table bench_telemetry (like telemetry including all)');
  const points = ['voltage', 'current', 'power', 'dim_level', 'lamp_on', 'energy'];
  const start = Date.now() - 3_600_000;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < rows; i += INSERT_BATCH) {
    const n = Math.min(INSERT_BATCH, rows - i);
    const ids: string[] = [];
    const names: string[] = [];
    const stamps: string[] = [];
    const nums: (number | null)[] = [];
    const vals: (string | null)[] = [];
    for (let k = 0; k < n; k++) {
      const j = i + k;
      // Every (device, point, second) once: nothing is lost to the primary key.
      ids.push(devices[Math.floor(j / points.length) % devices.length]);
      names.push(points[j % points.length]);
      stamps.push(
        new Date(start + Math.floor(j / (devices.length * points.length)) * 1000).toISOString(),
      );
      const boolean = j % points.length === 4;
      nums.push(boolean ? null : 230 + (j % 100) / 10);
      vals.push(boolean ? 'true' : null);
    }
    await db.pool.query(
      `insert into bench_telemetry (tenant_id, device_id, point, ts, num, val)
       select 'bench', * from unnest($1::uuid[], $2::text[], $3::timestamptz[], $4::float8[], $5::jsonb[])
       on conflict do nothing`,
      [ids, names, stamps, nums, vals],
    );
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const written = (
    await db.pool.query<{ n: number }>('select count(*)::int as n from bench_telemetry')
  ).rows[0].n;
  await db.pool.query('drop table bench_telemetry');
  return { rows: written, batch: INSERT_BATCH, seconds, pointsPerSecond: written / seconds };
}

async function telemetryRows(db: BenchDatabase): Promise<number> {
  return (await db.pool.query<{ n: number }>('select count(*)::int as n from telemetry')).rows[0].n;
}

async function main(): Promise<void> {
  program.parse(process.argv);
  const flags = program.opts<Record<string, string>>();
  const gateways = positiveInt('--gateways', flags.gateways);
  const devicesPerGateway = positiveInt('--devices-per-gateway', flags.devicesPerGateway);
  const seconds = positiveInt('--seconds', flags.seconds);
  const baselineRows = positiveInt('--baseline-rows', flags.baselineRows);
  const batchMs = positiveInt('--batch-ms', flags.batchMs);
  const pollScale = Number(flags.pollScale);
  await requireServices(['postgres', 'redis']);
  const log = progress('bench:telemetry');

  log.info('starting the control plane');
  const cp = await startBenchControlPlane('telemetry', { PRESENCE_DEBOUNCE_MS: '0' });
  const sites = ['tel-north', 'tel-south'];
  const tenant = await seedBenchTenant(cp, 'bench-tel', sites);
  const plan: FleetPlan = {
    gateways,
    devicesPerGateway,
    sites,
    serialPrefix: 'TEL',
    connectRate: positiveInt('--connect-rate', flags.connectRate),
  };
  log.info(`seeding ${gateways} gateways × ${devicesPerGateway} devices`);
  const seeded = await seedFleet(cp, tenant, plan, log);

  // The baseline first, on the same database, while nothing else writes to it.
  log.info(`baseline: ${baselineRows} rows of plain batched INSERT`);
  const deviceIds = seeded.identities.flatMap((i) => Object.values(i.devices));
  const baseline = await insertBaseline(cp.db, baselineRows, deviceIds);

  log.info('connecting the simulated gateways');
  const fleet = await startFleet(
    cp,
    tenant,
    seeded,
    plan,
    {
      pollScale: String(pollScale),
      // Every value in every poll is reported: the most points the devices can give.
      readingHeartbeatSeconds: '1',
      batchMs: String(batchMs),
      heartbeatSeconds: '30',
    },
    log,
  );
  const stats = fleet.simulator.stats;
  await waitFor(
    () => telemetryRows(cp.db),
    (n) => n > 0,
    'the first telemetry rows',
    60_000,
  );
  log.info('warming up for 15 s');
  await sleep(15_000);

  log.info(`measuring for ${seconds} s`);
  const rows0 = await telemetryRows(cp.db);
  const readings0 = stats.readings;
  const delivered0 = stats.delivered;
  const cpu0 = processCpuSeconds(cp.pid);
  const simCpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  await sleep(seconds * 1000);
  const rows1 = await telemetryRows(cp.db);
  const window = Number(process.hrtime.bigint() - t0) / 1e9;
  const readings1 = stats.readings;
  const delivered1 = stats.delivered;
  const cpu = processCpuSeconds(cp.pid) - cpu0;
  const simCpuUs = process.cpuUsage(simCpu0);
  const ingested = (rows1 - rows0) / window;
  const offered = (readings1 - readings0) / window;
  // The end of the pipe: how long after the gateways stop until every published reading is in.
  await fleet.simulator.stop();
  const published = stats.readings;
  const stopAt = Date.now();
  const final = await waitFor(
    () => telemetryRows(cp.db),
    (n) => n >= published * 0.999,
    'the last published readings to reach Postgres',
    120_000,
    250,
  ).catch(async () => telemetryRows(cp.db));
  const drainMs = Date.now() - stopAt;

  console.log(
    `\nTelemetry ingest: ${gateways} simulated gateways × ${devicesPerGateway} devices, poll scale ${pollScale}, a batch per gateway every ${batchMs} ms, ${window.toFixed(0)} s window\n`,
  );
  printTable([
    ['figure', 'points/s', 'note'],
    ['offered by the simulated gateways', offered, `${readings1 - readings0} readings published`],
    [
      'ingested into Postgres (end to end)',
      ingested,
      `${rows1 - rows0} rows; control plane CPU ${((cpu / window) * 100).toFixed(0)} % of a core`,
    ],
    [
      'baseline: plain batched INSERT',
      baseline.pointsPerSecond,
      `${baseline.rows} rows, ${baseline.batch} per statement, one connection`,
    ],
  ]);
  console.log(
    `\nafter the gateways stopped: ${final} of ${published} published readings in Postgres, ${drainMs} ms to drain; ` +
      `uplinks acknowledged ${delivered1 - delivered0} in the window; simulator CPU ${(((simCpuUs.user + simCpuUs.system) / 1e6 / window) * 100).toFixed(0)} % of a core`,
  );
  writeResult('telemetry', {
    sizes: {
      gateways,
      devicesPerGateway,
      windowSeconds: seconds,
      pollScale,
      batchMs,
      baselineRows,
    },
    endToEnd: {
      offeredPointsPerSecond: offered,
      ingestedPointsPerSecond: ingested,
      rows: rows1 - rows0,
      windowSeconds: window,
      controlPlaneCpuPercent: (cpu / window) * 100,
      publishedTotal: published,
      storedTotal: final,
      drainMs,
    },
    baseline,
    headline: [
      {
        label: 'telemetry points/s into Postgres end to end',
        value: ingested,
        unit: 'points/s',
        baselineLabel: 'plain batched INSERT points/s',
        baseline: baseline.pointsPerSecond,
      },
    ],
  });
}

await runBench('telemetry', main);
