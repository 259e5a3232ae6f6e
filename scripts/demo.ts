// npm run demo — a living smart city on this machine: the control plane on embedded defaults
// (PGlite in the demo data dir, embedded MQTT broker, Redis from the machine), a demo city in Da
// Nang and Hue, simulated gateways and one real gateway-agent polling devices over Modbus TCP.
// Runs until Ctrl-C, then shuts everything down. Re-running reuses the data dir.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { Command, CommanderError } from 'commander';
import { ManagedProcess } from './simulator/child-process.adapter.js';
import {
  ControlPlaneLaunchError,
  launchControlPlane,
  type LaunchedControlPlane,
} from './simulator/control-plane-launcher.js';
import { startDemoAgent, type DemoAgent } from './simulator/demo-agent.js';
import {
  DEMO_SITES,
  DEMO_TENANT,
  DEMO_TIME_ZONE,
  DEMO_USERS,
  provisionDemoCity,
  tokenFor,
} from './simulator/demo-city.js';
import { darknessIn } from './simulator/fleet-simulator.js';
import { JsonApi } from './simulator/json-api.adapter.js';
import { consoleSimLogger } from './simulator/sim-logger.js';
import { startSimulatedFleet, type SimulatedFleet } from './simulator/simulated-fleet.js';
import { probeRedis } from './simulator/redis-probe.adapter.js';
import { parseSimulatorOptions } from './simulator/simulator-options.js';

const program = new Command('demo')
  .description('Runs the control plane, a simulated city and a real gateway agent until Ctrl-C')
  .option('--data-dir <dir>', 'where the demo keeps its database, identities and logs', 'data/demo')
  .option('--port <port>', 'HTTP port of the control plane', '3000')
  .option('--mqtt-port <port>', 'port of the embedded MQTT broker', '1884')
  .option('--redis-url <url>', 'Redis for the job queues', 'redis://127.0.0.1:6379')
  .option('--redis-prefix <prefix>', 'key prefix of the demo in Redis', 'fleet-demo')
  .option('--gateways <n>', 'simulated gateways', '12')
  .option('--devices-per-gateway <n>', 'devices behind each simulated gateway', '10')
  .option(
    '--faults <spec>',
    'faults of the simulated fleet, e.g. timeout=0.01,exception=0.005,dropout=2 (per poll; dropout per gateway-hour)',
  )
  .option('--no-agent', 'skip the real gateway-agent process')
  .showHelpAfterError()
  .exitOverride();

interface DemoFlags {
  dataDir: string;
  port: string;
  mqttPort: string;
  redisUrl: string;
  redisPrefix: string;
  gateways: string;
  devicesPerGateway: string;
  faults?: string;
  agent: boolean;
}

interface DemoState {
  technicianToken?: string;
  /** The ports of the first run: enrolled gateways keep the server and broker addresses they got. */
  port?: number;
  mqttPort?: number;
}

const log = consoleSimLogger('demo');
const simLog = consoleSimLogger('sim');
let controlPlane: LaunchedControlPlane | undefined;
let fleet: SimulatedFleet | undefined;
let agent: DemoAgent | undefined;
let shuttingDown: Promise<void> | undefined;

/** Stops everything that runs, newest first; safe to call more than once. */
function shutdown(reason: string, exitCode: number): Promise<void> {
  shuttingDown ??= (async () => {
    log.info(`${reason}: stopping the demo`);
    const force = setTimeout(() => {
      log.error('the demo did not stop within 45 s; killing what is left');
      process.exit(1);
    }, 45_000);
    force.unref();
    await fleet?.stop().catch((e: unknown) => {
      log.warn(`simulated gateways: ${(e as Error).message}`);
    });
    await agent?.stop().catch((e: unknown) => {
      log.warn(`gateway-agent: ${(e as Error).message}`);
    });
    await controlPlane?.stop().catch((e: unknown) => {
      log.warn(`control plane: ${(e as Error).message}`);
    });
    for (const child of [agent?.process, controlPlane?.process]) {
      const ended = child && !child.running ? await child.whenExited() : undefined;
      if (ended && ended.code !== 0)
        log.warn(
          `${child?.name ?? ''} ended with code ${String(ended.code)}, signal ${String(ended.signal)} (see ${child?.logFile ?? ''})`,
        );
    }
    // Whatever a startup cut short by the signal had launched already.
    await ManagedProcess.stopAll(15_000);
    clearTimeout(force);
    log.info('stopped');
    process.exit(exitCode);
  })();
  return shuttingDown;
}

async function checkRedis(url: string): Promise<void> {
  const problem = await probeRedis(url);
  if (problem === undefined) return;
  process.stderr.write(
    [
      `Redis is not reachable at ${url} (${problem}).`,
      'The control plane keeps its job queues in Redis. Start one, then run `npm run demo` again:',
      '  redis-server --daemonize yes --maxmemory-policy noeviction   (Debian/Ubuntu: sudo apt-get install redis-server)',
      '  docker compose up -d redis                                   (with Docker)',
      'or use another one: npm run demo -- --redis-url redis://host:6379',
      '',
    ].join('\n'),
  );
  process.exit(1);
}

async function readState(file: string): Promise<DemoState> {
  const text = await readFile(file, 'utf8').catch(() => undefined);
  return text === undefined ? {} : (JSON.parse(text) as DemoState);
}

async function writeState(file: string, state: DemoState): Promise<void> {
  await writeFile(file, `${JSON.stringify(state, null, 1)}\n`, { mode: 0o600 });
}

/** A port flag; when not given, the port this data dir's demo ran on before (else the default). */
function portFlag(name: 'port' | 'mqttPort', recorded: number | undefined): number {
  const given = program.getOptionValueSource(name) !== 'default';
  const text = program.opts<DemoFlags>()[name];
  const value = !given && recorded !== undefined ? recorded : Number(text);
  if (!Number.isInteger(value) || value < 1 || value > 65_535)
    throw new Error(
      `--${name === 'port' ? 'port' : 'mqtt-port'}: must be a TCP port (got "${text}")`,
    );
  return value;
}

async function main(): Promise<void> {
  program.parse(process.argv);
  const flags = program.opts<DemoFlags>();
  const dataDir = isAbsolute(flags.dataDir) ? flags.dataDir : resolve(flags.dataDir);
  const tokenFile = join(dataDir, 'admin.token');
  const stateFile = join(dataDir, 'demo.json');
  const state = await readState(stateFile);
  const port = portFlag('port', state.port);
  const mqttPort = portFlag('mqttPort', state.mqttPort);
  if (
    (state.port !== undefined && state.port !== port) ||
    (state.mqttPort !== undefined && state.mqttPort !== mqttPort)
  )
    throw new Error(
      `${dataDir} holds a demo on port ${String(state.port)} (MQTT ${String(state.mqttPort)}), whose gateways know those addresses: ` +
        `run it with --port ${String(state.port)} --mqtt-port ${String(state.mqttPort)}, or give another --data-dir (or delete this one to start over)`,
    );
  // Repeated signals (a terminal's Ctrl-C reaches scripts/run.js too, which forwards it) are one request.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const)
    process.on(signal, () => void shutdown(signal, 0));

  await checkRedis(flags.redisUrl);
  await mkdir(dataDir, { recursive: true });
  log.info(
    `starting the control plane (data in ${dataDir}, log in ${join(dataDir, 'logs', 'control-plane.log')})`,
  );
  controlPlane = await launchControlPlane({
    env: {
      HOST: '127.0.0.1',
      PORT: String(port),
      MQTT_HOST: '127.0.0.1',
      MQTT_PORT: String(mqttPort),
      DATA_DIR: join(dataDir, 'control-plane'),
      // Embedded defaults: whatever the shell says, PGlite and the in-process broker.
      DATABASE_URL: '',
      MQTT_URL: '',
      REDIS_URL: flags.redisUrl,
      REDIS_PREFIX: flags.redisPrefix,
      ADMIN_TOKEN_FILE: tokenFile,
      // The simulated gateways enroll from this one address.
      AUTH_RATE_LIMIT_PER_MINUTE: '10000',
      LOG_LEVEL: 'info',
    },
    logFile: join(dataDir, 'logs', 'control-plane.log'),
  });
  const url = controlPlane.url;
  const adminToken = (await readFile(tokenFile, 'utf8').catch(() => '')).trim();
  if (!adminToken)
    throw new Error(
      `${tokenFile} is missing: the control plane wrote it on its first start only; delete ${dataDir} to start over`,
    );
  const api = new JsonApi(url);

  log.info('provisioning the demo city');
  await provisionDemoCity(api, adminToken);
  state.port = port;
  state.mqttPort = mqttPort;
  await writeState(stateFile, state);
  const technicianToken = async (): Promise<string> => {
    const stored = state.technicianToken;
    if (stored && (await api.as(stored, DEMO_TENANT.id).get('/api/v1/auth/me')).status === 200)
      return stored;
    state.technicianToken = await tokenFor(api, adminToken, 'technician', 'demo technician');
    await writeState(stateFile, state);
    return state.technicianToken;
  };
  const isDark = darknessIn(DEMO_TIME_ZONE);

  if (flags.agent) {
    log.info('starting a real gateway-agent (Modbus TCP to simulated devices)');
    agent = await startDemoAgent({
      api,
      serverUrl: url,
      adminToken,
      tenant: DEMO_TENANT.id,
      technicianToken,
      stateDir: join(dataDir, 'agent'),
      logFile: join(dataDir, 'logs', 'gateway-agent.log'),
      isDark,
    });
  }

  log.info(`starting ${flags.gateways} simulated gateways`);
  const options = parseSimulatorOptions({
    server: url,
    token: adminToken,
    tenant: DEMO_TENANT.id,
    gateways: flags.gateways,
    devicesPerGateway: flags.devicesPerGateway,
    sites: DEMO_SITES.map((s) => s.id).join(','),
    stateFile: join(dataDir, 'simulator.json'),
    serialPrefix: 'DN-SIM',
    timezone: DEMO_TIME_ZONE,
    statsSeconds: '0',
    ...(flags.faults === undefined ? {} : { faults: flags.faults }),
  });
  fleet = await startSimulatedFleet(options, simLog);
  if (!(await fleet.simulator.waitUntilConnected(60_000)))
    log.warn(
      `only ${fleet.simulator.stats.connected}/${fleet.simulator.gateways.length} simulated gateways connected within 60 s`,
    );

  const dashboard = await fetch(`${url}/admin/queues`, {
    headers: { authorization: `Bearer ${adminToken}` },
    signal: AbortSignal.timeout(5_000),
  }).then(
    (r) => r.ok,
    () => false,
  );
  const lines = [
    '',
    '================================================================================',
    ` Edge fleet demo: ${DEMO_TENANT.name}`,
    '',
    `  console:          ${url}/`,
    `  api docs:         ${url}/docs`,
    ...(dashboard ? [`  queue dashboard:  ${url}/admin/queues?access_token=${adminToken}`] : []),
    `  metrics:          ${url}/metrics`,
    `  admin token:      ${adminToken}`,
    `                    (platform admin; add the header X-Tenant-Id: ${DEMO_TENANT.id})`,
    '',
    `  users of tenant ${DEMO_TENANT.id} (console sign-in):`,
    ...DEMO_USERS.map((u) => `    ${u.username.padEnd(24)} ${u.password.padEnd(26)} ${u.role}`),
    '',
    `  fleet: ${fleet.simulator.gateways.length} simulated gateways × ${options.devicesPerGateway} devices over ${DEMO_SITES.length} sites`,
    ...(agent
      ? [
          `  gateway-agent:    pid ${agent.process.pid}, gateway ${agent.gatewayId}, Modbus TCP 127.0.0.1:${agent.modbus.port}`,
        ]
      : []),
    `  logs:             ${join(dataDir, 'logs')}`,
    '',
    '  Press Ctrl-C to stop.',
    '================================================================================',
    '',
  ];
  process.stdout.write(lines.join('\n'));

  // Keeps the process alive until a signal, with a line now and then to show the city is alive.
  let previousReadings = fleet.simulator.stats.readings;
  setInterval(() => {
    const stats = fleet?.simulator.stats;
    if (!stats || shuttingDown) return;
    log.info(
      `simulated gateways online ${stats.connected}/${fleet?.simulator.gateways.length ?? 0}, ` +
        `${((stats.readings - previousReadings) / 60).toFixed(1)} readings/s, commands ok ${stats.commandsSucceeded}, ` +
        `failed ${stats.commandsFailed + stats.commandsTimedOut}; gateway-agent ${agent?.process.running ? 'running' : 'not running'}`,
    );
    previousReadings = stats.readings;
  }, 60_000);

  const child = agent?.process;
  if (child) {
    void child.whenExited().then(async ({ code, signal }) => {
      if (shuttingDown) return;
      log.error(
        `the gateway-agent exited (code ${String(code)}, signal ${String(signal)}); last lines:\n${await child.tail()}`,
      );
    });
  }
  void controlPlane.process.whenExited().then(async ({ code }) => {
    if (shuttingDown) return;
    log.error(
      `the control plane exited (code ${String(code)}); last lines:\n${await controlPlane?.process.tail()}`,
    );
    await shutdown('control plane gone', 1);
  });
}

try {
  await main();
} catch (error) {
  if (error instanceof CommanderError) process.exit(error.exitCode);
  // A signal during startup stops what was started; what fails because of that is no news.
  if (!shuttingDown) log.error(error instanceof Error ? error.message : String(error));
  if (error instanceof ControlPlaneLaunchError && error.code === 'PORT_IN_USE')
    log.error(
      'choose free ports, e.g. npm run demo -- --port 3100 --mqtt-port 1894 --data-dir data/demo-3100',
    );
  await shutdown('startup failed', 1);
}
