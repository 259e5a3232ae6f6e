// The fleet simulator: N simulated gateways, each a real MQTT client with its own enrolled
// credentials, speaking the contracts to a running control plane.
//   node scripts/run.js scripts/simulator/main.ts --server http://127.0.0.1:3000 --token T \
//     --tenant danang --gateways 100 --devices-per-gateway 20 --sites dn-haichau,dn-sontra
import { Command, CommanderError } from 'commander';
import { consoleSimLogger } from './sim-logger.js';
import { startSimulatedFleet, type SimulatedFleet } from './simulated-fleet.js';
import { parseSimulatorOptions, type RawSimulatorOptions } from './simulator-options.js';
import { SimulatorError } from './simulator.error.js';
import type { FleetStats } from './fleet-stats.js';

const program = new Command('simulator')
  .description('Runs simulated gateways against a control plane (see BENCHMARKS.md for sizing)')
  .option('--server <url>', 'control plane URL (env FLEET_URL)')
  .option('--token <token>', 'admin or technician API token (env FLEET_TOKEN)')
  .option('--tenant <id>', 'tenant to act in, for platform administrators (env FLEET_TENANT)')
  .option('--gateways <n>', 'simulated gateways', '10')
  .option('--devices-per-gateway <n>', 'devices behind each gateway', '10')
  .option('--sites <ids>', 'comma-separated site ids to spread the gateways over')
  .option(
    '--faults <spec>',
    'e.g. timeout=0.01,exception=0.005,dropout=2 (per poll; dropout per gateway-hour)',
  )
  .option('--fault-length <n>', 'transactions a device fault lasts', '3')
  .option('--dropout-seconds <min-max>', 'how long a dropped gateway stays away', '10-60')
  .option(
    '--state-file <path>',
    'where enrolled identities are cached (default data/simulator/<server>-<tenant>.json)',
  )
  .option('--serial-prefix <prefix>', 'serial numbers are <prefix>-0001, ...', 'SIM')
  .option('--model <model>', 'gateway model reported at enrollment', 'rpi4')
  .option('--hardware-revision <rev>', 'hardware revision reported at enrollment', '1.4')
  .option('--firmware-version <semver>', 'firmware version the gateways start with', '1.0.0')
  .option('--connect-rate <n>', 'new MQTT connections per second', '100')
  .option('--enroll-concurrency <n>', 'enrollments in flight', '8')
  .option('--register-concurrency <n>', 'gateways whose devices are registered at once', '16')
  .option('--heartbeat-seconds <n>', 'MQTT heartbeat period', '30')
  .option(
    '--poll-scale <x>',
    'multiplies every profile poll period (10 = poll ten times less often)',
    '1',
  )
  .option('--reading-heartbeat-seconds <n>', 'report every value at least this often', '300')
  .option(
    '--batch-ms <n>',
    'each gateway samples due devices and publishes one batch this often',
    '5000',
  )
  .option('--ota-download-ms <n>', 'simulated download time', '5000')
  .option('--ota-install-ms <n>', 'simulated install time', '3000')
  .option('--ota-reboot-ms <n>', 'simulated reboot time', '2000')
  .option('--ota-verify-ms <n>', 'simulated health check time', '2000')
  .option('--ota-fail-rate <p>', 'share of deployments that fail', '0')
  .option('--ota-rollback-rate <p>', 'share of deployments that roll back', '0')
  .option(
    '--release-key <pem>',
    'release public key to verify OTA manifests (repeatable)',
    collect,
    [],
  )
  .option('--mqtt-url <url>', 'broker URL instead of the one enrollment returns')
  .option('--seed <n>', 'randomness seed', '1')
  .option('--stats-seconds <n>', 'print statistics this often (0: never)', '10')
  .option('--timezone <zone>', 'local time zone of the city', 'Asia/Ho_Chi_Minh')
  .showHelpAfterError()
  .exitOverride();

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

const logger = consoleSimLogger('sim');
let fleet: SimulatedFleet | undefined;
let stopping: Promise<void> | undefined;

function stop(signal: string): void {
  if (stopping) return;
  logger.info(`${signal}: stopping the simulated gateways`);
  const force = setTimeout(() => {
    logger.error('gateways did not stop within 30 s; exiting anyway');
    process.exit(1);
  }, 30_000);
  force.unref();
  stopping = (fleet?.stop() ?? Promise.resolve()).finally(() => {
    clearTimeout(force);
    process.exit(0);
  });
}

function printStats(
  stats: FleetStats,
  total: number,
  previous: Record<string, number>,
  seconds: number,
): Record<string, number> {
  const now = stats.snapshot();
  const rate = (key: string): string =>
    (((now[key] ?? 0) - (previous[key] ?? 0)) / seconds).toFixed(0);
  const cpu = process.cpuUsage();
  const cpuS = (cpu.user + cpu.system) / 1e6;
  const cpuPct = (((cpuS - (previous.cpuS ?? 0)) / seconds) * 100).toFixed(0);
  logger.info(
    `online ${stats.connected}/${total}  readings ${rate('readings')}/s  batches ${rate('telemetryBatches')}/s  ` +
      `commands ok ${stats.commandsSucceeded} failed ${stats.commandsFailed} timed out ${stats.commandsTimedOut}  ` +
      `ota ok ${stats.otaSucceeded} failed ${stats.otaFailed} rolled back ${stats.otaRolledBack}  ` +
      `dropouts ${stats.dropouts}  cpu ${cpuPct}%  rss ${(process.memoryUsage().rss / 1e6).toFixed(0)} MB`,
  );
  return { ...now, cpuS };
}

try {
  program.parse(process.argv);
  const flags = program.opts<Record<string, string | string[] | undefined>>();
  const raw: RawSimulatorOptions = {
    ...flags,
    server: flags.server ?? process.env.FLEET_URL,
    token: flags.token ?? process.env.FLEET_TOKEN,
    tenant: flags.tenant ?? process.env.FLEET_TENANT,
  };
  const options = parseSimulatorOptions(raw);
  // Repeated signals (a terminal delivers Ctrl-C to every process of the group) are ignored.
  process.on('SIGINT', () => {
    stop('SIGINT');
  });
  process.on('SIGTERM', () => {
    stop('SIGTERM');
  });
  logger.info(
    `simulating ${options.gateways} gateways × ${options.devicesPerGateway} devices against ${options.server}`,
  );
  fleet = await startSimulatedFleet(options, logger);
  const { provisioning, simulator } = fleet;
  logger.info(
    `${provisioning.identities.length} gateways ready (${provisioning.enrolled} enrolled now, ${provisioning.reused} from ${options.stateFile}); connecting`,
  );
  if (options.statsIntervalMs > 0) {
    let previous: Record<string, number> = {};
    const timer = setInterval(() => {
      previous = printStats(
        simulator.stats,
        simulator.gateways.length,
        previous,
        options.statsIntervalMs / 1000,
      );
    }, options.statsIntervalMs);
    timer.unref();
  }
  // Keep running until a signal arrives.
  setInterval(() => undefined, 1 << 30);
} catch (error) {
  if (error instanceof CommanderError) process.exit(error.exitCode);
  if (error instanceof SimulatorError) {
    process.stderr.write(`simulator: ${error.message}\n`);
    process.exit(error.code === 'INVALID_OPTIONS' ? 2 : 1);
  }
  process.stderr.write(
    `simulator: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  await fleet?.stop().catch(() => undefined);
  process.exit(1);
}
