import {
  isWireValue,
  type DeviceHealthChange,
  type DeviceHealthState,
  type DeviceHealthSummary,
  type TelemetryReading,
  type WireValue,
} from '@fleet/contracts';
import { pollPlanInput, type PointValue, type PollGroupInput } from '@fleet/profiles';
import { DeviceFault } from './device-fault.js';
import type { FaultRates } from './simulator-options.js';
import type { SimulatedDevice } from './simulated-device.js';

export interface TelemetrySamplerOptions {
  /** Multiplies the profiles' poll periods. */
  pollScale: number;
  /** Every value is reported at least this often, changed or not. */
  readingHeartbeatMs: number;
  faults: Pick<FaultRates, 'timeout' | 'exception'>;
  /** Transactions a fault episode lasts. */
  faultLength: number;
  /** Uniform [0, 1). */
  random: () => number;
}

interface GroupTrack {
  input: PollGroupInput;
  periodMs: number;
  nextDueAt: number;
  lastHeartbeatAt: number | undefined;
}

interface DeviceTrack {
  device: SimulatedDevice;
  groups: GroupTrack[];
  lastReported: Map<string, PointValue>;
  deadbands: Map<string, number>;
  health: DeviceHealthState;
  silentPolls: number;
}

export interface TelemetrySample {
  readings: TelemetryReading[];
  health: DeviceHealthChange[];
}

/** Consecutive silent polls before a device counts as unreachable (degraded before that). */
const UNREACHABLE_AFTER = 3;

/**
 * Polls simulated devices like the agent's poller, but only when a poll group is due: the devsim
 * models advance with the clock, so nothing ticks between polls. A value is reported when it moved
 * beyond its deadband, and every value of a group at least every `readingHeartbeatMs`. Failing
 * polls turn into device health changes (degraded, then unreachable; ok once it answers again).
 */
export class TelemetrySampler {
  private readonly tracks = new Map<string, DeviceTrack>();

  constructor(private readonly options: TelemetrySamplerOptions) {}

  /** Takes a new device set: kept devices keep their history, new ones start at a random phase. */
  setDevices(devices: readonly SimulatedDevice[], now: number): void {
    const next = new Map<string, DeviceTrack>();
    for (const device of devices) {
      const kept = this.tracks.get(device.id);
      if (kept?.device === device) {
        next.set(device.id, kept);
        continue;
      }
      next.set(device.id, {
        device,
        groups: pollPlanInput(device.profile).map((input) => {
          const periodMs = Math.max(100, Math.round(input.periodMs * this.options.pollScale));
          // Staggered, as the agent does, so a gateway's devices do not all poll at once.
          return {
            input,
            periodMs,
            nextDueAt: now + Math.floor(this.options.random() * periodMs),
            lastHeartbeatAt: undefined,
          };
        }),
        lastReported: new Map(),
        deadbands: new Map(device.profile.points.map((p) => [p.name, p.deadband])),
        health: 'ok',
        silentPolls: 0,
      });
    }
    this.tracks.clear();
    for (const [id, track] of next) this.tracks.set(id, track);
  }

  /** Polls every group of the device at the next collect (after a command changed it). */
  pollSoon(deviceId: string, now: number): void {
    const track = this.tracks.get(deviceId);
    if (track) for (const g of track.groups) g.nextDueAt = Math.min(g.nextDueAt, now);
  }

  /** Polls every due group and returns what to report. */
  collect(now: number): TelemetrySample {
    const sample: TelemetrySample = { readings: [], health: [] };
    for (const track of this.tracks.values()) {
      for (const group of track.groups) {
        if (group.nextDueAt > now) continue;
        // Never catch up on missed polls in a burst: the next poll is one period from now.
        group.nextDueAt = Math.max(group.nextDueAt + group.periodMs, now + 1);
        this.poll(track, group, now, sample);
      }
    }
    return sample;
  }

  healthOf(deviceId: string): DeviceHealthState | undefined {
    return this.tracks.get(deviceId)?.health;
  }

  /** The heartbeat's health summary. */
  summary(): DeviceHealthSummary {
    let healthy = 0;
    for (const t of this.tracks.values()) if (t.health === 'ok') healthy += 1;
    return { total: this.tracks.size, healthy, unhealthy: this.tracks.size - healthy };
  }

  private poll(track: DeviceTrack, group: GroupTrack, now: number, sample: TelemetrySample): void {
    const { device } = track;
    if (device.faultable && device.faults.active === undefined) this.maybeStartFault(device);
    let values: Record<string, PointValue>;
    try {
      values = device.read(group.input.points);
    } catch (error) {
      if (!(error instanceof DeviceFault)) throw error;
      track.silentPolls = error.silent ? track.silentPolls + 1 : 0;
      const state: DeviceHealthState =
        track.silentPolls >= UNREACHABLE_AFTER ? 'unreachable' : 'degraded';
      if (state !== track.health) {
        track.health = state;
        sample.health.push({
          deviceId: device.id,
          state,
          ts: now,
          error: {
            code: error.code,
            message: error.message.slice(0, 1024),
            retryable: error.retryable,
          },
        });
      }
      return;
    }
    track.silentPolls = 0;
    if (track.health !== 'ok') {
      track.health = 'ok';
      sample.health.push({ deviceId: device.id, state: 'ok', ts: now });
    }
    const heartbeat =
      group.lastHeartbeatAt === undefined ||
      now - group.lastHeartbeatAt >= this.options.readingHeartbeatMs;
    if (heartbeat) group.lastHeartbeatAt = now;
    for (const [point, value] of Object.entries(values)) {
      if (!heartbeat && !changed(track, point, value)) continue;
      const wire = toWireValue(value);
      if (wire === undefined) continue;
      track.lastReported.set(point, value);
      sample.readings.push({ deviceId: device.id, point, ts: now, value: wire });
    }
  }

  private maybeStartFault(device: SimulatedDevice): void {
    const { timeout, exception } = this.options.faults;
    if (timeout === 0 && exception === 0) return;
    const r = this.options.random();
    if (r < timeout) device.faults.inject({ kind: 'timeout' }, this.options.faultLength);
    else if (r < timeout + exception) {
      // Server device failure or busy: what meters and controllers answer when they are unwell.
      const code = this.options.random() < 0.5 ? 4 : 6;
      device.faults.inject({ kind: 'exception', code }, this.options.faultLength);
    }
  }
}

function changed(track: DeviceTrack, point: string, value: PointValue): boolean {
  const last = track.lastReported.get(point);
  if (last === undefined) return true;
  const deadband = track.deadbands.get(point) ?? 0;
  if (typeof value === 'number' && typeof last === 'number')
    return deadband > 0 ? Math.abs(value - last) > deadband : value !== last;
  if (typeof value === 'bigint' && typeof last === 'bigint') {
    const diff = value > last ? value - last : last - value;
    return deadband > 0 ? diff > BigInt(Math.floor(deadband)) : diff !== 0n;
  }
  if (typeof value === 'object' && typeof last === 'object')
    return JSON.stringify(value) !== JSON.stringify(last);
  return value !== last;
}

/** A point value as the contract carries it: 64-bit integers as decimal strings. */
export function toWireValue(value: PointValue): WireValue | undefined {
  const wire: unknown = typeof value === 'bigint' ? value.toString() : value;
  return isWireValue(wire) ? wire : undefined;
}
