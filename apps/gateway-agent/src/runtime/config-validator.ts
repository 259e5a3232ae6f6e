import { createHash } from 'node:crypto';
import type { DeviceConfig, GatewayConfigMessage, ValidationIssue } from '@fleet/contracts';
import { checkProfileSource, type DeviceProfile } from '@fleet/profiles';
import { busAddressOf, busIdOf, busSpecDifference, busSpecOf, type BusSpec } from './bus-spec.js';

export interface ValidatedProfile {
  id: string;
  version: string;
  profile: DeviceProfile;
  /** SHA-256 of the YAML text: a device is rebuilt when its profile's text changes. */
  digest: string;
}

/** A configuration that passed every check, with its profiles parsed. */
export interface ValidatedConfig {
  version: number;
  issuedAt: number;
  message: GatewayConfigMessage;
  profiles: ReadonlyMap<string, ValidatedProfile>;
  devices: readonly DeviceConfig[];
}

export type ConfigVerdict =
  { ok: true; config: ValidatedConfig } | { ok: false; reason: string; issues: ValidationIssue[] };

/** config/ack limits: 100 issues, paths up to 256 characters, messages up to 512. */
const MAX_ISSUES = 100;
const MAX_PATH = 256;
const MAX_MESSAGE = 512;
const MAX_REASON = 1024;

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

const TRANSPORTS_FOR: Readonly<Record<DeviceConfig['connection']['kind'], readonly string[]>> = {
  'modbus-rtu': ['modbus-rtu', 'modbus-tcp'],
  'modbus-tcp': ['modbus-rtu', 'modbus-tcp'],
  serial: ['serial'],
  gpio: ['gpio'],
};

/**
 * Checks a configuration beyond its contract: every profile's YAML through @fleet/profiles,
 * references from devices to profiles, transports the profiles support, and the physical
 * constraints of buses (one set of line settings per serial port, Modbus and raw serial never on
 * one port, one device per address, one owner per GPIO line). Disabled devices are only checked
 * for references. Every problem is reported, each with its path in the message.
 */
export function validateGatewayConfig(message: GatewayConfigMessage): ConfigVerdict {
  const issues: ValidationIssue[] = [];
  const issue = (path: string, text: string): void => {
    issues.push({ path: clip(path, MAX_PATH), message: clip(text, MAX_MESSAGE) });
  };

  const profiles = new Map<string, ValidatedProfile>();
  const profileIndex = new Map<string, number>();
  message.profiles.forEach((source, i) => {
    const where = `profiles[${i}]`;
    const first = profileIndex.get(source.id);
    if (first !== undefined) {
      issue(`${where}.id`, `duplicate profile "${source.id}" (also profiles[${first}])`);
      return;
    }
    profileIndex.set(source.id, i);
    const result = checkProfileSource(`${source.id}.yaml`, source.source);
    for (const problem of result.issues) {
      if (problem.severity !== 'error') continue;
      const at = problem.path ? `${problem.path}: ` : '';
      const line = problem.line === undefined ? '' : ` (line ${problem.line})`;
      issue(`${where}.source`, `${source.id}: ${at}${problem.message}${line}`);
    }
    if (result.profile) {
      profiles.set(source.id, {
        id: source.id,
        version: source.version,
        profile: result.profile,
        digest: createHash('sha256').update(source.source).digest('hex'),
      });
    }
  });

  const deviceIndex = new Map<string, number>();
  const buses = new Map<string, { spec: BusSpec; owner: string }>();
  const pathOwners = new Map<string, { kind: string; owner: string }>();
  const addresses = new Map<string, string>();
  const gpioLines = new Map<string, string>();
  message.devices.forEach((device, i) => {
    const where = `devices[${i}]`;
    const first = deviceIndex.get(device.id);
    if (first !== undefined) {
      issue(`${where}.id`, `duplicate device id "${device.id}" (also devices[${first}])`);
      return;
    }
    deviceIndex.set(device.id, i);
    if (!profileIndex.has(device.profileId)) {
      issue(`${where}.profileId`, `no profile "${device.profileId}" in this configuration`);
      return;
    }
    const profile = profiles.get(device.profileId)?.profile;
    // A profile with errors is reported once, under profiles[]; its devices add nothing.
    if (!profile) return;
    const kind = device.connection.kind;
    const supported = profile.transports.map((t) => t.kind);
    if (!supported.some((t) => TRANSPORTS_FOR[kind].includes(t))) {
      issue(
        `${where}.connection.kind`,
        `profile ${profile.id} cannot be reached over ${kind} (it supports ${supported.join(', ') || 'nothing'})`,
      );
      return;
    }
    if (device.enabled === false) return;

    const spec = busSpecOf(device.connection, profile);
    if (!spec) {
      for (const point of profile.points) {
        if (point.line === undefined) continue;
        const owner = gpioLines.get(point.line);
        if (owner !== undefined) {
          issue(`${where}.profileId`, `GPIO line ${point.line} is already used by device ${owner}`);
        } else {
          gpioLines.set(point.line, device.id);
        }
      }
      return;
    }
    const busId = busIdOf(spec);
    if (spec.kind !== 'modbus-tcp') {
      const other = pathOwners.get(spec.path);
      if (other && other.kind !== spec.kind) {
        issue(
          `${where}.connection.path`,
          `${spec.path} is already a ${other.kind} line (device ${other.owner}); keep Modbus and raw serial protocols on separate ports`,
        );
        return;
      }
      if (!other) pathOwners.set(spec.path, { kind: spec.kind, owner: device.id });
    }
    const bus = buses.get(busId);
    if (bus) {
      const difference = busSpecDifference(bus.spec, spec);
      if (difference) {
        issue(
          `${where}.connection`,
          `${busId}: devices on one line need the same settings (${difference}; device ${bus.owner} came first)`,
        );
        return;
      }
    } else {
      buses.set(busId, { spec, owner: device.id });
    }
    const address = busAddressOf(device.connection);
    const addressKey = `${busId}#${address ?? ''}`;
    const holder = addresses.get(addressKey);
    if (holder !== undefined) {
      issue(`${where}.connection`, `${busId} ${address ?? ''} is already device ${holder}`);
      return;
    }
    addresses.set(addressKey, device.id);
  });

  if (issues.length > 0) {
    const shown = issues.slice(0, MAX_ISSUES);
    const first = shown[0];
    const reason = clip(
      `configuration ${message.version} rejected: ${issues.length} problem${issues.length === 1 ? '' : 's'}; first: ${first ? `${first.path}: ${first.message}` : ''}`,
      MAX_REASON,
    );
    return { ok: false, reason, issues: shown };
  }
  return {
    ok: true,
    config: {
      version: message.version,
      issuedAt: message.issuedAt,
      message,
      profiles,
      devices: message.devices,
    },
  };
}
