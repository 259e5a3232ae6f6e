import { parseMqttSizeLimits, type MqttSizeLimits } from '@fleet/contracts';
import { plainToInstance, Transform } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  MinLength,
  validateSync,
  type ValidationError,
} from 'class-validator';
import { resolve } from 'node:path';

const toInt = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
const toBool = ({ value }: { value: unknown }): unknown =>
  value === 'true' || value === '1' ? true : value === 'false' || value === '0' ? false : value;
const emptyToUndefined = ({ value }: { value: unknown }): unknown =>
  value === '' ? undefined : value;

const MQTT_CHANNEL =
  '(?:status|heartbeat|telemetry|cmd/ack|cmd/result|ota/status|config/ack|config|cmd|ota|control)';
const MQTT_SIZE_LIMITS_PATTERN = new RegExp(
  `^${MQTT_CHANNEL}=[1-9]\\d{0,9}(?:,${MQTT_CHANNEL}=[1-9]\\d{0,9})*$`,
);

/** `MQTT_SIZE_LIMITS` as overrides for the contract's codec (already validated by its pattern). */
export function mqttSizeLimits(config: AppConfig): Partial<MqttSizeLimits> | undefined {
  return config.MQTT_SIZE_LIMITS ? parseMqttSizeLimits(config.MQTT_SIZE_LIMITS) : undefined;
}

export const PROCESS_ROLES = ['all', 'api', 'worker'] as const;
export type ProcessRole = (typeof PROCESS_ROLES)[number];

/**
 * The control plane's whole configuration, parsed from the environment once at boot.
 * Property names are the environment variable names, so an error names the variable to fix.
 */
export class AppConfig {
  @Transform(toInt) @IsInt() @Min(0) @Max(65535) PORT = 3000;
  @IsString() HOST = '0.0.0.0';
  @IsIn(PROCESS_ROLES) PROCESS_ROLE: ProcessRole = 'all';

  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^postgres(ql)?:\/\//, { message: 'must be a postgres:// URL' })
  DATABASE_URL?: string;
  @Transform(toInt) @IsInt() @Min(1) @Max(200) DATABASE_POOL_SIZE = 10;
  @IsString() @MinLength(1) DATA_DIR = './data';

  @Matches(/^rediss?:\/\//, { message: 'must be a redis:// URL' }) REDIS_URL =
    'redis://127.0.0.1:6379';
  @Matches(/^[A-Za-z0-9:_-]{1,64}$/, { message: 'must be 1-64 characters of A-Z a-z 0-9 : _ -' })
  REDIS_PREFIX = 'fleet';

  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^mqtts?:\/\//, { message: 'must be a mqtt:// or mqtts:// URL' })
  MQTT_URL?: string;
  /** Embedded broker listener when MQTT_URL is unset (1884: 1883 is often a system Mosquitto). */
  @Transform(toInt) @IsInt() @Min(0) @Max(65535) MQTT_PORT = 1884;
  @IsString() MQTT_HOST = '0.0.0.0';
  /** The broker address gateways are told to use at enrollment (default: derived from the request). */
  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^mqtts?:\/\//, { message: 'must be a mqtt:// or mqtts:// URL' })
  MQTT_PUBLIC_URL?: string;
  /** The control plane's own broker account (external broker: holds the dynamic-security admin role). */
  @Transform(emptyToUndefined) @IsOptional() @IsString() MQTT_USERNAME?: string;
  @Transform(emptyToUndefined) @IsOptional() @IsString() MQTT_PASSWORD?: string;
  /** Unique and stable per process, so the broker keeps its session across restarts (default control-plane-<role>-<host>). */
  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^[A-Za-z0-9_.-]{1,64}$/)
  MQTT_CLIENT_ID?: string;
  /**
   * External broker only. Unset (the default): every replica subscribes to all uplinks with a plain
   * persistent subscription, which Mosquitto keeps and queues across its own restarts; several
   * replicas then each handle every uplink (safe: every transition is guarded and every insert
   * idempotent). Set a group name to split the uplinks among replicas with an MQTT 5 shared
   * subscription instead — less work per replica, but see docs/RELIABILITY.md for what Mosquitto
   * 2.0 loses with shared subscriptions (broker restart, a replica gone for good).
   */
  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^[A-Za-z0-9_-]{1,64}$/)
  MQTT_SHARED_GROUP?: string;
  /**
   * Per-channel MQTT payload limits in bytes, overriding the contract's defaults, e.g.
   * `telemetry=131072,cmd/result=131072`. Uplinks over the limit are dropped and counted; downlinks
   * over it are refused before publishing. Raise a limit only together with the gateways'
   * `GATEWAY_AGENT_MQTT_SIZE_LIMITS`: both ends check.
   */
  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(MQTT_SIZE_LIMITS_PATTERN, {
    message:
      'must be channel=bytes pairs separated by commas (channels: status, heartbeat, telemetry, cmd/ack, cmd/result, ota/status, config/ack, config, cmd, ota, control)',
  })
  MQTT_SIZE_LIMITS?: string;
  /** Embedded broker: the largest PUBLISH a gateway may send; a bigger one closes its connection. */
  @Transform(toInt) @IsInt() @Min(1024) @Max(268_435_455) MQTT_MAX_PACKET_BYTES = 2 * 1024 * 1024;
  /** A gateway whose last heartbeat is older than this is marked offline. */
  @Transform(toInt) @IsInt() @Min(10) PRESENCE_STALE_SECONDS = 120;
  /** An offline status waits this long for a quick reconnect before it counts. */
  @Transform(toInt) @IsInt() @Min(0) PRESENCE_DEBOUNCE_MS = 3000;
  /** Telemetry older than this is deleted. */
  @Transform(toInt) @IsInt() @Min(1) TELEMETRY_RETENTION_DAYS = 30;
  /** Jobs each worker queue runs at once in this process. */
  @Transform(toInt) @IsInt() @Min(1) @Max(1000) WORKER_CONCURRENCY = 50;
  /** How often unfinished work is rebuilt from Postgres into Redis (also at start). */
  @Transform(toInt) @IsInt() @Min(1) RECONCILE_INTERVAL_SECONDS = 30;
  /** Default lifetime of a claim code, seconds. */
  @Transform(toInt) @IsInt() @Min(60) @Max(7 * 24 * 3600) CLAIM_TTL_SECONDS = 1800;

  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']) LOG_LEVEL = 'info';
  @Transform(toBool) @IsBoolean() LOG_PRETTY = false;

  /** Largest JSON body accepted, bytes. */
  @Transform(toInt) @IsInt() @Min(1024) BODY_LIMIT_BYTES = 1_048_576;
  /** Requests per minute per client IP on auth-sensitive routes (login, enrollment). */
  @Transform(toInt) @IsInt() @Min(1) AUTH_RATE_LIMIT_PER_MINUTE = 20;
  /** Default lifetime of a token created by login, seconds. */
  @Transform(toInt) @IsInt() @Min(60) SESSION_TTL_SECONDS = 12 * 3600;

  /** Where the first admin token is written once (mode 0600) on first start; unset = print only. */
  @Transform(emptyToUndefined) @IsOptional() @IsString() ADMIN_TOKEN_FILE?: string;

  /** Largest firmware artifact accepted for upload, bytes. */
  @Transform(toInt) @IsInt() @Min(1024) FIRMWARE_MAX_BYTES = 512 * 1024 * 1024;
  /** HMAC secret of gateways' firmware download URLs (unset: a random one kept in DATA_DIR). */
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  @MinLength(32, { message: 'must be at least 32 characters' })
  FIRMWARE_URL_SECRET?: string;
  /** Lifetime of a firmware download URL, seconds. */
  @Transform(toInt) @IsInt() @Min(30) @Max(86_400) FIRMWARE_URL_TTL_SECONDS = 900;

  /** Public base URL gateways and operators use, e.g. https://fleet.danang.gov.vn. */
  @Transform(emptyToUndefined) @IsOptional() @Matches(/^https?:\/\//) PUBLIC_URL?: string;

  get dataDir(): string {
    return resolve(this.DATA_DIR);
  }
}

// Optional variables have no default, so they are not own keys of a fresh AppConfig.
const OPTIONAL_KEYS = [
  'DATABASE_URL',
  'MQTT_URL',
  'MQTT_PUBLIC_URL',
  'MQTT_USERNAME',
  'MQTT_PASSWORD',
  'MQTT_CLIENT_ID',
  'ADMIN_TOKEN_FILE',
  'PUBLIC_URL',
  'FIRMWARE_URL_SECRET',
];

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

function flatten(errors: readonly ValidationError[]): string[] {
  return errors.flatMap((e) => [
    ...Object.values(e.constraints ?? {}).map((reason) => {
      const shown = e.value === undefined ? '' : ` (got ${JSON.stringify(e.value)})`;
      return `${e.property}: ${reason.replace(`${e.property} `, '')}${shown}`;
    }),
    ...flatten(e.children ?? []),
  ]);
}

/** Parses and validates the environment; throws one ConfigError listing every bad variable. */
export function loadAppConfig(env: Readonly<Record<string, string | undefined>>): AppConfig {
  const known = Object.keys(new AppConfig());
  const input: Record<string, string> = {};
  for (const key of [...known, ...OPTIONAL_KEYS]) {
    const value = env[key];
    if (value !== undefined) input[key] = value;
  }
  const config = plainToInstance(AppConfig, input);
  const problems = flatten(validateSync(config, { forbidUnknownValues: false }));
  if (config.PROCESS_ROLE !== 'all' && !config.MQTT_URL) {
    problems.push(
      `PROCESS_ROLE: ${config.PROCESS_ROLE} processes share an external broker; set MQTT_URL (the embedded broker lives in one all-in-one process)`,
    );
  }
  if (config.MQTT_URL && (!config.MQTT_USERNAME || !config.MQTT_PASSWORD)) {
    problems.push(
      'MQTT_USERNAME / MQTT_PASSWORD: the control plane account on the external broker is required with MQTT_URL',
    );
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}
