import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { EnrollmentRequestDto } from '@fleet/contracts';
import { AgentError } from './agent.error.js';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Values that replace what the agent detects about the machine (simulators, tests, odd boards). */
export interface IdentityOverrides {
  serialNumber?: string;
  model?: string;
  hardwareRevision?: string;
  firmwareVersion?: string;
}

/** Everything the agent reads from its environment and flags, parsed and checked once at start. */
export interface AgentConfig {
  stateDir: string;
  logLevel: LogLevel;
  outbox: { maxBytes: number; maxMessages: number; fsync: boolean };
  telemetry: {
    /** Longest a reading waits before its batch is published. */
    batchIntervalMs: number;
    batchMaxReadings: number;
    /** Every value is reported at least this often, changed or not. */
    readingHeartbeatMs: number;
  };
  /** MQTT heartbeat period. */
  heartbeatIntervalMs: number;
  /** How often `status.json` is rewritten. */
  statusIntervalMs: number;
  reconnect: {
    initialDelayMs: number;
    maxDelayMs: number;
    /** After the broker refused the credentials (pending approval, revoked). */
    refusedDelayMs: number;
    refusedMaxDelayMs: number;
  };
  /** PEM file of the CA that signed the broker's certificate (mqtts with a private CA). */
  mqttCaFile?: string;
  identity: IdentityOverrides;
  /** The version of the slot the firmware supervisor started (FLEET_SLOT_VERSION), if any. */
  slotVersion?: string;
}

/** Command-line flags that take precedence over the environment. */
export interface AgentConfigFlags {
  stateDir?: string;
  logLevel?: string;
  serialNumber?: string;
  model?: string;
  hardwareRevision?: string;
}

export interface ConfigHost {
  isRoot: boolean;
  homeDir: string;
  cwd: string;
}

export const ENV_PREFIX = 'GATEWAY_AGENT_';
const MiB = 1024 * 1024;

interface IntSpec {
  name: string;
  min: number;
  max: number;
  fallback: number;
}

const INTS = {
  outboxMaxBytes: {
    name: 'OUTBOX_MAX_BYTES',
    min: 64 * 1024,
    max: 16 * 1024 * MiB,
    fallback: 64 * MiB,
  },
  outboxMaxMessages: { name: 'OUTBOX_MAX_MESSAGES', min: 10, max: 10_000_000, fallback: 100_000 },
  batchIntervalMs: { name: 'TELEMETRY_BATCH_INTERVAL_MS', min: 50, max: 600_000, fallback: 5_000 },
  batchMaxReadings: { name: 'TELEMETRY_BATCH_MAX_READINGS', min: 1, max: 20_000, fallback: 1_000 },
  readingHeartbeatMs: {
    name: 'READING_HEARTBEAT_MS',
    min: 1_000,
    max: 86_400_000,
    fallback: 300_000,
  },
  heartbeatIntervalMs: {
    name: 'HEARTBEAT_INTERVAL_MS',
    min: 500,
    max: 3_600_000,
    fallback: 30_000,
  },
  statusIntervalMs: { name: 'STATUS_INTERVAL_MS', min: 100, max: 600_000, fallback: 5_000 },
  reconnectInitialMs: { name: 'RECONNECT_INITIAL_MS', min: 10, max: 600_000, fallback: 1_000 },
  reconnectMaxMs: { name: 'RECONNECT_MAX_MS', min: 10, max: 3_600_000, fallback: 60_000 },
  refusedRetryMs: { name: 'REFUSED_RETRY_MS', min: 10, max: 3_600_000, fallback: 60_000 },
  refusedRetryMaxMs: { name: 'REFUSED_RETRY_MAX_MS', min: 10, max: 86_400_000, fallback: 600_000 },
} as const satisfies Record<string, IntSpec>;

const STRINGS = [
  'STATE_DIR',
  'LOG_LEVEL',
  'OUTBOX_FSYNC',
  'MQTT_CA_FILE',
  'SERIAL_NUMBER',
  'MODEL',
  'HARDWARE_REVISION',
  'FIRMWARE_VERSION',
] as const;

const KNOWN: ReadonlySet<string> = new Set([...Object.values(INTS).map((s) => s.name), ...STRINGS]);

export interface ConfigProblem {
  /** The variable (`GATEWAY_AGENT_LOG_LEVEL`) or flag (`--log-level`). */
  source: string;
  reason: string;
}

function host(): ConfigHost {
  return { isRoot: process.getuid?.() === 0, homeDir: homedir(), cwd: process.cwd() };
}

/**
 * Parses the agent's configuration from `env` and `flags`. Every problem is collected and reported
 * in one AgentError (CONFIG_INVALID) naming each variable or flag and why. Unknown
 * `GATEWAY_AGENT_*` variables are problems too: a typo should not silently fall back to a default.
 */
export function loadAgentConfig(
  env: Readonly<Record<string, string | undefined>>,
  flags: AgentConfigFlags = {},
  machine: ConfigHost = host(),
): AgentConfig {
  const problems: ConfigProblem[] = [];
  const read = (name: string): string | undefined => {
    const value = env[`${ENV_PREFIX}${name}`]?.trim();
    return value === '' ? undefined : value;
  };
  for (const key of Object.keys(env)) {
    if (key.startsWith(ENV_PREFIX) && !KNOWN.has(key.slice(ENV_PREFIX.length))) {
      problems.push({ source: key, reason: 'unknown variable (misspelt?)' });
    }
  }
  const int = (spec: IntSpec): number => {
    const raw = read(spec.name);
    if (raw === undefined) return spec.fallback;
    const n = Number(raw);
    if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n) || n < spec.min || n > spec.max) {
      problems.push({
        source: `${ENV_PREFIX}${spec.name}`,
        reason: `must be an integer from ${spec.min} to ${spec.max}, got "${raw}"`,
      });
      return spec.fallback;
    }
    return n;
  };

  const stateDirRaw = flags.stateDir ?? read('STATE_DIR');
  const stateDirSource = flags.stateDir !== undefined ? '--state-dir' : `${ENV_PREFIX}STATE_DIR`;
  let stateDir: string;
  if (stateDirRaw === undefined) {
    stateDir = machine.isRoot
      ? '/var/lib/gateway-agent'
      : join(machine.homeDir, '.local', 'state', 'gateway-agent');
  } else if (stateDirRaw.trim() === '' || stateDirRaw.includes('\0')) {
    problems.push({ source: stateDirSource, reason: 'must be a directory path' });
    stateDir = '';
  } else {
    stateDir = isAbsolute(stateDirRaw) ? resolve(stateDirRaw) : resolve(machine.cwd, stateDirRaw);
  }

  const levelRaw = flags.logLevel ?? read('LOG_LEVEL') ?? 'info';
  const logLevel = LOG_LEVELS.find((l) => l === levelRaw.toLowerCase());
  if (!logLevel) {
    problems.push({
      source: flags.logLevel !== undefined ? '--log-level' : `${ENV_PREFIX}LOG_LEVEL`,
      reason: `must be one of ${LOG_LEVELS.join(', ')}, got "${levelRaw}"`,
    });
  }

  const fsyncRaw = read('OUTBOX_FSYNC');
  let fsync = true;
  if (fsyncRaw !== undefined) {
    if (/^(1|true|yes|on)$/i.test(fsyncRaw)) fsync = true;
    else if (/^(0|false|no|off)$/i.test(fsyncRaw)) fsync = false;
    else
      problems.push({
        source: `${ENV_PREFIX}OUTBOX_FSYNC`,
        reason: `must be true or false, got "${fsyncRaw}"`,
      });
  }

  const caFile = read('MQTT_CA_FILE');
  if (caFile !== undefined && !isAbsolute(caFile)) {
    problems.push({ source: `${ENV_PREFIX}MQTT_CA_FILE`, reason: 'must be an absolute path' });
  }

  const identity = identityOverrides(
    {
      serialNumber: [flags.serialNumber, '--serial', read('SERIAL_NUMBER'), 'SERIAL_NUMBER'],
      model: [flags.model, '--model', read('MODEL'), 'MODEL'],
      hardwareRevision: [
        flags.hardwareRevision,
        '--hardware-revision',
        read('HARDWARE_REVISION'),
        'HARDWARE_REVISION',
      ],
      firmwareVersion: [undefined, '', read('FIRMWARE_VERSION'), 'FIRMWARE_VERSION'],
    },
    problems,
  );

  const config: AgentConfig = {
    stateDir,
    logLevel: logLevel ?? 'info',
    outbox: {
      maxBytes: int(INTS.outboxMaxBytes),
      maxMessages: int(INTS.outboxMaxMessages),
      fsync,
    },
    telemetry: {
      batchIntervalMs: int(INTS.batchIntervalMs),
      batchMaxReadings: int(INTS.batchMaxReadings),
      readingHeartbeatMs: int(INTS.readingHeartbeatMs),
    },
    heartbeatIntervalMs: int(INTS.heartbeatIntervalMs),
    statusIntervalMs: int(INTS.statusIntervalMs),
    reconnect: {
      initialDelayMs: int(INTS.reconnectInitialMs),
      maxDelayMs: int(INTS.reconnectMaxMs),
      refusedDelayMs: int(INTS.refusedRetryMs),
      refusedMaxDelayMs: int(INTS.refusedRetryMaxMs),
    },
    identity,
  };
  if (config.reconnect.maxDelayMs < config.reconnect.initialDelayMs) {
    problems.push({
      source: `${ENV_PREFIX}${INTS.reconnectMaxMs.name}`,
      reason: `must not be below ${ENV_PREFIX}${INTS.reconnectInitialMs.name} (${config.reconnect.initialDelayMs})`,
    });
  }
  if (config.reconnect.refusedMaxDelayMs < config.reconnect.refusedDelayMs) {
    problems.push({
      source: `${ENV_PREFIX}${INTS.refusedRetryMaxMs.name}`,
      reason: `must not be below ${ENV_PREFIX}${INTS.refusedRetryMs.name} (${config.reconnect.refusedDelayMs})`,
    });
  }
  if (caFile !== undefined) config.mqttCaFile = caFile;
  const slotVersion = env['FLEET_SLOT_VERSION']?.trim();
  if (slotVersion) config.slotVersion = slotVersion;

  if (problems.length > 0) {
    const lines = problems.map((p) => `  ${p.source}: ${p.reason}`);
    throw new AgentError(
      'CONFIG_INVALID',
      `invalid agent configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${lines.join('\n')}`,
      { problems },
    );
  }
  return config;
}

type OverrideSources = Record<
  keyof IdentityOverrides,
  [flag: string | undefined, flagName: string, env: string | undefined, envName: string]
>;

/** Checks overrides with the enrollment contract's own rules, so enroll never sends what it refuses. */
function identityOverrides(sources: OverrideSources, problems: ConfigProblem[]): IdentityOverrides {
  const values: IdentityOverrides = {};
  const origin = new Map<string, string>();
  for (const [key, [flag, flagName, envValue, envName]] of Object.entries(sources) as [
    keyof IdentityOverrides,
    OverrideSources[keyof IdentityOverrides],
  ][]) {
    const value = flag ?? envValue;
    if (value === undefined) continue;
    values[key] = value;
    origin.set(key, flag !== undefined ? flagName : `${ENV_PREFIX}${envName}`);
  }
  const errors = validateSync(plainToInstance(EnrollmentRequestDto, values), {
    skipMissingProperties: true,
  });
  for (const error of errors) {
    const source = origin.get(error.property);
    if (source === undefined) continue;
    for (const message of Object.values(error.constraints ?? {})) {
      problems.push({ source, reason: `${message}, got "${String(error.value)}"` });
    }
  }
  return values;
}
