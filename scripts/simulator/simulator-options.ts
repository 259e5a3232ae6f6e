import type { FieldProblem } from '@fleet/common';
import { SimulatorError } from './simulator.error.js';

/** Fault injection rates. */
export interface FaultRates {
  /** Probability, per device poll, that the device stops answering for `faultLength` transactions. */
  timeout: number;
  /** Probability, per device poll, that the device answers exceptions for `faultLength` transactions. */
  exception: number;
  /** Expected drop-offs per gateway per hour (the connection dies; the gateway returns later). */
  dropoutPerHour: number;
}

/** How a simulated gateway walks an OTA deployment. */
export interface OtaBehaviour {
  downloadMs: number;
  installMs: number;
  rebootMs: number;
  verifyMs: number;
  /** Probability that a deployment fails (download or install error); it reports failed. */
  failRate: number;
  /** Probability that the new version fails its health check; it reports rolled_back. */
  rollbackRate: number;
}

export interface SimulatorOptions {
  server: string;
  token: string;
  tenant?: string;
  gateways: number;
  devicesPerGateway: number;
  sites: string[];
  stateFile: string;
  serialPrefix: string;
  model: string;
  hardwareRevision: string;
  firmwareVersion: string;
  agentVersion: string;
  /** New MQTT connections per second while the fleet starts. */
  connectRate: number;
  enrollConcurrency: number;
  registerConcurrency: number;
  heartbeatMs: number;
  /** Multiplies every profile poll period (2 = poll half as often). */
  pollScale: number;
  /** Every value is reported at least this often, changed or not. */
  readingHeartbeatMs: number;
  /** Each gateway samples its due devices and publishes one telemetry batch this often. */
  batchMs: number;
  faults: FaultRates;
  faultLength: number;
  dropoutMs: { min: number; max: number };
  ota: OtaBehaviour;
  /** PEM files of release public keys; when given, OTA manifests must verify against them. */
  releaseKeyFiles: string[];
  /** Broker URL to use instead of the one enrollment returned. */
  mqttUrl?: string;
  seed: number;
  statsIntervalMs: number;
  /** Local time zone of the simulated city (street lights start lit when it is dark there). */
  timeZone: string;
}

/** Options as they come from the command line: strings, all optional until checked. */
export type RawSimulatorOptions = Partial<Record<RawOptionName, string | string[] | undefined>>;

type RawOptionName =
  | 'server'
  | 'token'
  | 'tenant'
  | 'gateways'
  | 'devicesPerGateway'
  | 'sites'
  | 'stateFile'
  | 'serialPrefix'
  | 'model'
  | 'hardwareRevision'
  | 'firmwareVersion'
  | 'connectRate'
  | 'enrollConcurrency'
  | 'registerConcurrency'
  | 'heartbeatSeconds'
  | 'pollScale'
  | 'readingHeartbeatSeconds'
  | 'batchMs'
  | 'faults'
  | 'faultLength'
  | 'dropoutSeconds'
  | 'otaDownloadMs'
  | 'otaInstallMs'
  | 'otaRebootMs'
  | 'otaVerifyMs'
  | 'otaFailRate'
  | 'otaRollbackRate'
  | 'releaseKey'
  | 'mqttUrl'
  | 'seed'
  | 'statsSeconds'
  | 'timezone';

const flagOf = (name: string): string =>
  `--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

const SLUG = /^[a-z0-9][a-z0-9-]{0,62}$/;
const SERIAL_PREFIX = /^[A-Za-z0-9][A-Za-z0-9._-]{0,40}$/;
const MODEL = /^[A-Za-z0-9._+-]{1,64}$/;
const VERSION = /^[0-9A-Za-z.+-]{1,64}$/;
const SEMVER = /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;

export const SIMULATOR_AGENT_VERSION = '0.1.0-sim';

/**
 * Checks every option and reports all problems at once, each naming its flag. Defaults suit a
 * laptop-sized fleet; the rates scale down for thousands of gateways (see --poll-scale).
 */
export function parseSimulatorOptions(raw: RawSimulatorOptions): SimulatorOptions {
  const problems: FieldProblem[] = [];
  const problem = (name: RawOptionName, reason: string): void => {
    problems.push({ field: flagOf(name), reason });
  };
  const text = (name: RawOptionName): string | undefined => {
    const value = raw[name];
    if (Array.isArray(value)) return value.at(-1);
    const trimmed = value?.trim();
    return trimmed === '' ? undefined : trimmed;
  };
  const number = (
    name: RawOptionName,
    fallback: number,
    min: number,
    max: number,
    integer = true,
  ): number => {
    const value = text(name);
    if (value === undefined) return fallback;
    const n = Number(value);
    if (!Number.isFinite(n) || (integer && !Number.isInteger(n)) || n < min || n > max) {
      problem(
        name,
        `must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max} (got "${value}")`,
      );
      return fallback;
    }
    return n;
  };
  const matching = (
    name: RawOptionName,
    fallback: string,
    pattern: RegExp,
    what: string,
  ): string => {
    const value = text(name) ?? fallback;
    if (!pattern.test(value)) problem(name, `must be ${what} (got "${value}")`);
    return value;
  };

  const server = text('server');
  if (server === undefined)
    problem('server', 'is required (the control plane URL, e.g. http://127.0.0.1:3000)');
  else if (!/^https?:\/\/[^/\s]+/.test(server))
    problem('server', `must be an http(s) URL (got "${server}")`);
  const token = text('token');
  if (token === undefined)
    problem('token', 'is required (an admin or technician API token; env FLEET_TOKEN)');
  const tenant = text('tenant');
  if (tenant !== undefined && !SLUG.test(tenant))
    problem('tenant', `must be a tenant id (got "${tenant}")`);

  const gateways = number('gateways', 10, 1, 100_000);
  const devicesPerGateway = number('devicesPerGateway', 10, 0, 2_000);
  const sitesText = text('sites');
  const sites = (sitesText ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (sites.length === 0)
    problem(
      'sites',
      'is required: site ids to spread the gateways over, e.g. dn-haichau,hue-phuhoi',
    );
  for (const site of sites) if (!SLUG.test(site)) problem('sites', `"${site}" is not a site id`);

  const faults = parseFaults(text('faults'), (reason) => {
    problem('faults', reason);
  });
  const dropout = parseRange(text('dropoutSeconds') ?? '10-60');
  if (!dropout) problem('dropoutSeconds', 'must be MIN-MAX seconds, e.g. 10-60');

  const serverUrl = (server ?? 'http://invalid').replace(/\/+$/, '');
  const hostPart = serverUrl.replace(/^https?:\/\//, '').replace(/[^A-Za-z0-9.-]/g, '_');
  const options: SimulatorOptions = {
    server: serverUrl,
    token: token ?? '',
    gateways,
    devicesPerGateway,
    sites,
    stateFile: text('stateFile') ?? `data/simulator/${hostPart}-${tenant ?? 'default'}.json`,
    serialPrefix: matching(
      'serialPrefix',
      'SIM',
      SERIAL_PREFIX,
      'letters, digits, . _ - (at most 41)',
    ),
    model: matching('model', 'rpi4', MODEL, 'a gateway model (A-Z a-z 0-9 . _ + -)'),
    hardwareRevision: matching('hardwareRevision', '1.4', VERSION, 'a hardware revision'),
    firmwareVersion: matching(
      'firmwareVersion',
      '1.0.0',
      SEMVER,
      'a semantic version such as 1.0.0',
    ),
    agentVersion: SIMULATOR_AGENT_VERSION,
    connectRate: number('connectRate', 100, 1, 10_000),
    enrollConcurrency: number('enrollConcurrency', 8, 1, 256),
    registerConcurrency: number('registerConcurrency', 16, 1, 256),
    heartbeatMs: number('heartbeatSeconds', 30, 1, 3_600) * 1000,
    pollScale: number('pollScale', 1, 0.01, 1_000, false),
    readingHeartbeatMs: number('readingHeartbeatSeconds', 300, 1, 86_400) * 1000,
    batchMs: number('batchMs', 5_000, 50, 600_000),
    faults,
    faultLength: number('faultLength', 3, 1, 1_000),
    dropoutMs: { min: (dropout?.min ?? 10) * 1000, max: (dropout?.max ?? 60) * 1000 },
    ota: {
      downloadMs: number('otaDownloadMs', 5_000, 0, 3_600_000),
      installMs: number('otaInstallMs', 3_000, 0, 3_600_000),
      rebootMs: number('otaRebootMs', 2_000, 0, 3_600_000),
      verifyMs: number('otaVerifyMs', 2_000, 0, 3_600_000),
      failRate: number('otaFailRate', 0, 0, 1, false),
      rollbackRate: number('otaRollbackRate', 0, 0, 1, false),
    },
    releaseKeyFiles: listOf(raw.releaseKey),
    seed: number('seed', 1, 0, 2 ** 31 - 1),
    statsIntervalMs: number('statsSeconds', 10, 0, 3_600) * 1000,
    timeZone: text('timezone') ?? 'Asia/Ho_Chi_Minh',
  };
  if (tenant !== undefined) options.tenant = tenant;
  const mqttUrl = text('mqttUrl');
  if (mqttUrl !== undefined) {
    if (!/^mqtts?:\/\/[^/\s]+/.test(mqttUrl))
      problem('mqttUrl', `must be a mqtt:// or mqtts:// URL (got "${mqttUrl}")`);
    options.mqttUrl = mqttUrl;
  }
  if (options.ota.failRate + options.ota.rollbackRate > 1)
    problem('otaFailRate', 'together with --ota-rollback-rate must not exceed 1');
  try {
    new Intl.DateTimeFormat('en', { timeZone: options.timeZone });
  } catch {
    problem('timezone', `"${options.timeZone}" is not an IANA time zone`);
  }
  if (problems.length > 0) throw SimulatorError.invalidOptions(problems);
  return options;
}

function listOf(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).map((v) => v.trim()).filter((v) => v !== '');
}

function parseRange(text: string): { min: number; max: number } | undefined {
  const m = /^(\d+(?:\.\d+)?)(?:-(\d+(?:\.\d+)?))?$/.exec(text);
  if (!m) return undefined;
  const min = Number(m[1]);
  const max = m[2] === undefined ? min : Number(m[2]);
  return max >= min ? { min, max } : undefined;
}

/** `timeout=0.01,exception=0.005,dropout=2` (dropout: per gateway per hour). */
export function parseFaults(
  text: string | undefined,
  report: (reason: string) => void,
): FaultRates {
  const rates: FaultRates = { timeout: 0, exception: 0, dropoutPerHour: 0 };
  if (text === undefined || text === 'none') return rates;
  for (const part of text.split(',')) {
    const [key = '', value = ''] = part.split('=').map((s) => s.trim());
    const n = Number(value);
    if (value === '' || !Number.isFinite(n) || n < 0) {
      report(`"${part}": expected name=number with a number >= 0`);
      continue;
    }
    switch (key) {
      case 'timeout':
      case 'exception':
        if (n > 1) report(`${key} is a probability per poll (0..1), got ${n}`);
        else rates[key] = n;
        break;
      case 'dropout':
        if (n > 3_600) report(`dropout is drop-offs per gateway per hour (0..3600), got ${n}`);
        else rates.dropoutPerHour = n;
        break;
      default:
        report(`unknown fault "${key}" (known: timeout, exception, dropout)`);
    }
  }
  return rates;
}
