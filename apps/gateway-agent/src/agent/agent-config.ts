import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { EnrollmentRequestDto, parseMqttSizeLimits, type MqttSizeLimits } from '@fleet/contracts';
import { KEY_ID_PATTERN, SLOT_ENV } from '@fleet/firmware';
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

export const OTA_INSTALLER_KINDS = ['ab', 'rauc'] as const;
export type OtaInstallerKind = (typeof OTA_INSTALLER_KINDS)[number];

/** Over-the-air updates: the keys a release must be signed with, how to install, how to retry. */
export interface OtaConfig {
  /**
   * A file of PEM public keys, or a directory of `*.pem`/`*.pub` files: the only release keys this
   * gateway trusts. Unset means OTA is refused (the control plane alone can never install anything).
   */
  releaseKeysPath?: string;
  /** Key ids (16 hex) no longer trusted even when their PEM is still in releaseKeysPath. */
  revokedKeyIds: string[];
  /** `ab`: agent bundles into A/B slots (needs `gateway-agent supervise`); `rauc`: OS images. */
  installer: OtaInstallerKind;
  download: {
    /** Consecutive failed attempts without progress before a download fails. */
    maxAttempts: number;
    retryInitialMs: number;
    retryMaxMs: number;
    /** How long to wait for a fresh URL after the server refused the old one (401/403). */
    refreshWaitMs: number;
  };
  rauc: { path: string; rebootCommand: string[] };
}

/** The slot `gateway-agent supervise` started this process from (FLEET_SLOT_* variables). */
export interface SlotContext {
  /** Where the slots live: `<stateDir>/slots`. */
  stateDir: string;
  slot: 'a' | 'b';
  version: string;
  /** Started as an uncommitted trial of a new release. */
  trial: boolean;
  deploymentId: string | null;
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
  /** Per-channel MQTT payload limits overriding the contract's (`MQTT_SIZE_LIMITS`, as on the control plane). */
  mqttSizeLimits?: Partial<MqttSizeLimits>;
  identity: IdentityOverrides;
  /** The version of the slot the firmware supervisor started (FLEET_SLOT_VERSION), if any. */
  slotVersion?: string;
  /** Set when `gateway-agent supervise` started this process from an A/B slot. */
  slot?: SlotContext;
  ota: OtaConfig;
  /** Settings of `gateway-agent supervise` (the slot supervisor). */
  supervisor: {
    /** A trial that has not committed this long after it started is stopped and rolled back. */
    trialDeadlineMs: number;
    /** Starts of a trial (e.g. across power cuts) before it counts as failed. */
    trialBootAttempts: number;
  };
}

/** Command-line flags that take precedence over the environment. */
export interface AgentConfigFlags {
  stateDir?: string;
  logLevel?: string;
  serialNumber?: string;
  model?: string;
  hardwareRevision?: string;
  releaseKeys?: string;
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
  otaDownloadAttempts: { name: 'OTA_DOWNLOAD_ATTEMPTS', min: 1, max: 100, fallback: 6 },
  otaRetryInitialMs: { name: 'OTA_RETRY_INITIAL_MS', min: 10, max: 600_000, fallback: 2_000 },
  otaRetryMaxMs: { name: 'OTA_RETRY_MAX_MS', min: 10, max: 3_600_000, fallback: 120_000 },
  otaRefreshWaitMs: { name: 'OTA_REFRESH_WAIT_MS', min: 100, max: 3_600_000, fallback: 120_000 },
  trialDeadlineMs: { name: 'TRIAL_DEADLINE_MS', min: 1_000, max: 86_400_000, fallback: 600_000 },
  trialBootAttempts: { name: 'TRIAL_BOOT_ATTEMPTS', min: 1, max: 10, fallback: 2 },
} as const satisfies Record<string, IntSpec>;

const STRINGS = [
  'STATE_DIR',
  'LOG_LEVEL',
  'OUTBOX_FSYNC',
  'MQTT_CA_FILE',
  'MQTT_SIZE_LIMITS',
  'SERIAL_NUMBER',
  'MODEL',
  'HARDWARE_REVISION',
  'FIRMWARE_VERSION',
  'RELEASE_KEYS',
  'REVOKED_RELEASE_KEYS',
  'OTA_INSTALLER',
  'RAUC_PATH',
  'RAUC_REBOOT_COMMAND',
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

  let mqttSizeLimits: Partial<MqttSizeLimits> | undefined;
  const sizeLimits = read('MQTT_SIZE_LIMITS');
  if (sizeLimits !== undefined) {
    try {
      mqttSizeLimits = parseMqttSizeLimits(sizeLimits);
    } catch (error) {
      problems.push({
        source: `${ENV_PREFIX}MQTT_SIZE_LIMITS`,
        reason: (error as Error).message,
      });
    }
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
    ota: otaConfig(read, int, flags.releaseKeys, problems),
    supervisor: {
      trialDeadlineMs: int(INTS.trialDeadlineMs),
      trialBootAttempts: int(INTS.trialBootAttempts),
    },
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
  if (mqttSizeLimits !== undefined) config.mqttSizeLimits = mqttSizeLimits;
  const slotVersion = env['FLEET_SLOT_VERSION']?.trim();
  if (slotVersion) config.slotVersion = slotVersion;
  const slot = slotContext(env, problems);
  if (slot) config.slot = slot;

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

function otaConfig(
  read: (name: string) => string | undefined,
  int: (spec: IntSpec) => number,
  releaseKeysFlag: string | undefined,
  problems: ConfigProblem[],
): OtaConfig {
  const keysRaw = releaseKeysFlag ?? read('RELEASE_KEYS');
  const keysSource = releaseKeysFlag !== undefined ? '--release-keys' : `${ENV_PREFIX}RELEASE_KEYS`;
  if (keysRaw !== undefined && !isAbsolute(keysRaw))
    problems.push({
      source: keysSource,
      reason: 'must be an absolute path (a PEM file or a directory)',
    });

  const revokedKeyIds: string[] = [];
  for (const id of (read('REVOKED_RELEASE_KEYS') ?? '').split(/[\s,]+/).filter((v) => v !== '')) {
    if (KEY_ID_PATTERN.test(id)) revokedKeyIds.push(id);
    else
      problems.push({
        source: `${ENV_PREFIX}REVOKED_RELEASE_KEYS`,
        reason: `"${id}" is not a key id (16 lowercase hex characters)`,
      });
  }

  const installerRaw = read('OTA_INSTALLER') ?? 'ab';
  const installer = OTA_INSTALLER_KINDS.find((k) => k === installerRaw.toLowerCase());
  if (!installer)
    problems.push({
      source: `${ENV_PREFIX}OTA_INSTALLER`,
      reason: `must be one of ${OTA_INSTALLER_KINDS.join(', ')}, got "${installerRaw}"`,
    });

  const rebootCommand = (read('RAUC_REBOOT_COMMAND') ?? 'systemctl reboot')
    .split(/\s+/)
    .filter((part) => part !== '');
  const retryInitialMs = int(INTS.otaRetryInitialMs);
  const retryMaxMs = int(INTS.otaRetryMaxMs);
  if (retryMaxMs < retryInitialMs)
    problems.push({
      source: `${ENV_PREFIX}${INTS.otaRetryMaxMs.name}`,
      reason: `must not be below ${ENV_PREFIX}${INTS.otaRetryInitialMs.name} (${retryInitialMs})`,
    });
  const ota: OtaConfig = {
    revokedKeyIds,
    installer: installer ?? 'ab',
    download: {
      maxAttempts: int(INTS.otaDownloadAttempts),
      retryInitialMs,
      retryMaxMs,
      refreshWaitMs: int(INTS.otaRefreshWaitMs),
    },
    rauc: { path: read('RAUC_PATH') ?? 'rauc', rebootCommand },
  };
  if (keysRaw !== undefined) ota.releaseKeysPath = resolve(keysRaw);
  return ota;
}

/** The FLEET_SLOT_* variables the slot supervisor sets, checked together. */
function slotContext(
  env: Readonly<Record<string, string | undefined>>,
  problems: ConfigProblem[],
): SlotContext | undefined {
  const stateDir = env[SLOT_ENV.stateDir]?.trim();
  if (!stateDir) return undefined;
  const slot = env[SLOT_ENV.slot]?.trim();
  const version = env[SLOT_ENV.version]?.trim();
  if (!isAbsolute(stateDir))
    problems.push({ source: SLOT_ENV.stateDir, reason: 'must be an absolute path' });
  if (slot !== 'a' && slot !== 'b')
    problems.push({ source: SLOT_ENV.slot, reason: `must be a or b, got "${slot ?? ''}"` });
  if (!version) problems.push({ source: SLOT_ENV.version, reason: 'must name the slot version' });
  if ((slot !== 'a' && slot !== 'b') || !version) return undefined;
  const deploymentId = env[SLOT_ENV.deploymentId]?.trim();
  return {
    stateDir,
    slot,
    version,
    trial: env[SLOT_ENV.trial] === '1',
    deploymentId: deploymentId ? deploymentId : null,
  };
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
