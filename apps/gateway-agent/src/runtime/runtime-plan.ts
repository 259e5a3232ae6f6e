import type { DeviceConnection } from '@fleet/contracts';
import type { DeviceProfile } from '@fleet/profiles';
import { busIdOf, busSpecOf, type BusSpec } from './bus-spec.js';
import type { ValidatedConfig } from './config-validator.js';

export interface PlannedDevice {
  id: string;
  name: string;
  profile: DeviceProfile;
  connection: DeviceConnection;
  /** Absent for GPIO devices. */
  busId?: string;
  /** Equal fingerprints mean the running poller can stay. */
  fingerprint: string;
}

export interface PlannedBus {
  busId: string;
  spec: BusSpec;
  /** Enabled devices on this bus, in configuration order. */
  devices: PlannedDevice[];
}

/** What should run for one configuration: each physical bus once, with every device on it. */
export interface RuntimePlan {
  version: number;
  buses: PlannedBus[];
  gpioDevices: PlannedDevice[];
}

export interface PlanChanges {
  keptBuses: string[];
  addedBuses: string[];
  removedBuses: string[];
  keptDevices: string[];
  startedDevices: string[];
  stoppedDevices: string[];
}

/** JSON with sorted keys, so equal settings give equal text whatever order they arrived in. */
export function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Groups the enabled devices of a validated configuration by physical bus (serial path or host:port). */
export function planRuntime(config: ValidatedConfig): RuntimePlan {
  const buses = new Map<string, PlannedBus>();
  const gpioDevices: PlannedDevice[] = [];
  for (const device of config.devices) {
    if (device.enabled === false) continue;
    const validated = config.profiles.get(device.profileId);
    if (!validated) continue;
    const spec = busSpecOf(device.connection, validated.profile);
    const busId = spec ? busIdOf(spec) : undefined;
    const planned: PlannedDevice = {
      id: device.id,
      name: device.name,
      profile: validated.profile,
      connection: device.connection,
      fingerprint: stableJson({
        profile: `${validated.id}@${validated.version}#${validated.digest}`,
        connection: device.connection,
        busId,
      }),
    };
    if (!spec || busId === undefined) {
      gpioDevices.push(planned);
      continue;
    }
    planned.busId = busId;
    let bus = buses.get(busId);
    if (!bus) {
      bus = { busId, spec, devices: [] };
      buses.set(busId, bus);
    }
    bus.devices.push(planned);
  }
  return { version: config.version, buses: [...buses.values()], gpioDevices };
}

function devicesOf(plan: RuntimePlan | undefined): Map<string, PlannedDevice> {
  const all = new Map<string, PlannedDevice>();
  for (const bus of plan?.buses ?? []) for (const d of bus.devices) all.set(d.id, d);
  for (const d of plan?.gpioDevices ?? []) all.set(d.id, d);
  return all;
}

/**
 * What applying `next` over `previous` changes. A bus stays (client, scheduler and connection
 * kept) when its id and line settings are unchanged; a device's poller stays when its fingerprint
 * is unchanged and its bus stays.
 */
export function diffPlans(previous: RuntimePlan | undefined, next: RuntimePlan): PlanChanges {
  const before = new Map((previous?.buses ?? []).map((b) => [b.busId, b]));
  const after = new Map(next.buses.map((b) => [b.busId, b]));
  const keptBuses: string[] = [];
  const addedBuses: string[] = [];
  const removedBuses: string[] = [];
  for (const [id, bus] of after) {
    const old = before.get(id);
    if (old && stableJson(old.spec) === stableJson(bus.spec)) keptBuses.push(id);
    else addedBuses.push(id);
  }
  for (const [id, bus] of before) {
    const replacement = after.get(id);
    if (!replacement || stableJson(replacement.spec) !== stableJson(bus.spec))
      removedBuses.push(id);
  }
  const kept = new Set(keptBuses);
  const oldDevices = devicesOf(previous);
  const newDevices = devicesOf(next);
  const keptDevices: string[] = [];
  const startedDevices: string[] = [];
  const stoppedDevices: string[] = [];
  for (const [id, device] of newDevices) {
    const old = oldDevices.get(id);
    const busStays = device.busId === undefined || kept.has(device.busId);
    if (old && old.fingerprint === device.fingerprint && busStays) keptDevices.push(id);
    else startedDevices.push(id);
  }
  const keptSet = new Set(keptDevices);
  for (const id of oldDevices.keys()) if (!keptSet.has(id)) stoppedDevices.push(id);
  return { keptBuses, addedBuses, removedBuses, keptDevices, startedDevices, stoppedDevices };
}
