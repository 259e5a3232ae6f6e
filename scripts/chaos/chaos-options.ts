import { ChaosError } from './chaos.error.js';

export const SCENARIOS = [
  'kill-control-plane',
  'flush-redis',
  'restart-broker',
  'cut-postgres',
] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export interface ChaosOptions {
  scenarios: ScenarioName[];
  gateways: number;
  /** Per gateway: a meter, a camera, a relay board, then street lights (the simulator's mix). */
  devicesPerGateway: number;
  /** How long the Postgres cut and the broker outage last. */
  outageSeconds: number;
  /** Longest wait for the work of a scenario to finish after the fault. */
  recoverySeconds: number;
  postgresUrl: string;
  /** An external Redis (its keys under this run's prefix are wiped instead of FLUSHALL). */
  redisUrl?: string;
  redisServer: string;
  help: boolean;
}

export const CHAOS_USAGE = `usage: npm run chaos -- [options]

Starts its own stack (control plane with the embedded broker as a child process, a private
redis-server, a throw-away Postgres database behind a cuttable TCP proxy, a simulated fleet),
performs the faults and prints scenario / operations / lost / duplicated / recovered-in.

  --scenario <name>            ${SCENARIOS.join(' | ')} | all (repeatable, comma lists; default all)
  --gateways <n>               simulated gateways (default 8)
  --devices-per-gateway <n>    devices per gateway, 4..200 (default 8: meter, DALI gateway, camera, relays, 4 lights)
  --outage-seconds <n>         length of the Postgres cut and the broker outage (default 10)
  --recovery-seconds <n>       longest wait for the work to finish after a fault (default 180)
  --postgres-url <url>         superuser URL of the Postgres to create the database in
                               (default $CHAOS_POSTGRES_URL or postgres://postgres@127.0.0.1:5432/postgres)
  --redis-url <url>            use this Redis instead of a private redis-server; the "flush" then
                               deletes this run's keys only (default: a private redis-server)
  --redis-server <path>        the redis-server binary (default redis-server on PATH)
  -h, --help                   this text`;

const FLAGS = new Set([
  '--scenario',
  '--gateways',
  '--devices-per-gateway',
  '--outage-seconds',
  '--recovery-seconds',
  '--postgres-url',
  '--redis-url',
  '--redis-server',
]);

/** Parses the command line; every problem is reported at once, each naming its flag. */
export function parseChaosOptions(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>> = {},
): ChaosOptions {
  const problems: string[] = [];
  const values = new Map<string, string[]>();
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '-h' || arg === '--help') {
      help = true;
      continue;
    }
    const eq = arg.indexOf('=');
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    if (!FLAGS.has(flag)) {
      problems.push(`${arg}: unknown option`);
      continue;
    }
    let value: string | undefined;
    if (eq > 0) value = arg.slice(eq + 1);
    else {
      value = argv[i + 1];
      if (value === undefined || value.startsWith('--')) value = undefined;
      else i++;
    }
    if (value === undefined || value === '') {
      problems.push(`${flag}: needs a value`);
      continue;
    }
    values.set(flag, [...(values.get(flag) ?? []), value]);
  }
  const last = (flag: string): string | undefined => values.get(flag)?.at(-1);
  const int = (flag: string, fallback: number, min: number, max: number): number => {
    const raw = last(flag);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) {
      problems.push(`${flag}: must be an integer from ${min} to ${max} (got "${raw}")`);
      return fallback;
    }
    return n;
  };

  const scenarios: ScenarioName[] = [];
  for (const name of (values.get('--scenario') ?? ['all']).flatMap((v) => v.split(','))) {
    const trimmed = name.trim();
    if (trimmed === 'all') scenarios.push(...SCENARIOS);
    else if ((SCENARIOS as readonly string[]).includes(trimmed))
      scenarios.push(trimmed as ScenarioName);
    else
      problems.push(
        `--scenario: unknown scenario "${trimmed}" (one of ${SCENARIOS.join(', ')}, all)`,
      );
  }
  const url = (
    flag: string,
    fallback: string | undefined,
    protocols: string[],
  ): string | undefined => {
    const raw = last(flag) ?? fallback;
    if (raw === undefined) return undefined;
    try {
      const parsed = new URL(raw);
      if (!protocols.includes(parsed.protocol)) throw new Error('protocol');
      return raw;
    } catch {
      problems.push(
        `${flag}: must be a ${protocols.map((p) => `${p}//`).join(' or ')} URL (got "${raw}")`,
      );
      return undefined;
    }
  };
  const options: ChaosOptions = {
    scenarios: [...new Set(scenarios)],
    gateways: int('--gateways', 8, 1, 500),
    devicesPerGateway: int('--devices-per-gateway', 8, 4, 200),
    outageSeconds: int('--outage-seconds', 10, 1, 600),
    recoverySeconds: int('--recovery-seconds', 180, 10, 3600),
    postgresUrl:
      url(
        '--postgres-url',
        env.CHAOS_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
        ['postgres:', 'postgresql:'],
      ) ?? '',
    redisServer: last('--redis-server') ?? 'redis-server',
    help,
  };
  const redisUrl = url('--redis-url', undefined, ['redis:', 'rediss:']);
  if (redisUrl !== undefined) options.redisUrl = redisUrl;
  if (problems.length > 0 && !help) {
    throw new ChaosError(`${problems.map((p) => `  - ${p}`).join('\n')}\n\n${CHAOS_USAGE}`, 2);
  }
  return options;
}
