import {
  type DeviceProfile,
  pollPlanInput,
  type PointValue,
  type PollGroupInput,
} from '@fleet/profiles';
import type { DeviceHealthChange } from '../scheduler/device-health.js';
import { busDeviceKey, type ModbusDevice } from './modbus-device.js';
import { describeFailure, type PointFailure, PointReader } from './point-reader.js';
import type { GpioLineRegistry } from './gpio-line-registry.js';
import { staggerOffsetMs } from './poll-stagger.js';

/** A device without a Modbus transport (e.g. a GPIO relay board) is polled through `gpio` only. */
export type PolledDevice = ModbusDevice | { id: string; profile: DeviceProfile };

function isModbus(device: PolledDevice): device is ModbusDevice {
  return 'scheduler' in device;
}

export interface ReadingReport {
  deviceId: string;
  group: string;
  at: number;
  /** `change`: only values that moved beyond their deadband; `heartbeat`: every value of the group. */
  reason: 'change' | 'heartbeat';
  values: Record<string, PointValue>;
  /** Points that could not be read this cycle. */
  errors: Record<string, PointFailure>;
}

export interface DevicePollerOptions {
  /** Every value is reported at least this often, changed or not. */
  heartbeatMs: number;
  onReport: (report: ReadingReport) => void;
  onHealth?: (change: DeviceHealthChange & { deviceId: string }) => void;
  /** First poll delay; default a per-device stagger within the group's period. */
  startOffsetMs?: number;
  gpio?: GpioLineRegistry;
  now?: () => number;
}

interface GroupState {
  input: PollGroupInput;
  timer: ReturnType<typeof setTimeout> | undefined;
  running: Promise<void> | undefined;
  lastHeartbeatAt: number | undefined;
}

/**
 * Polls one device's points per poll group and period through its bus scheduler (poll priority),
 * decodes with the profile codec, and reports values that moved beyond their deadband, plus a
 * heartbeat with every value. Cycles of a group never overlap; starts are staggered.
 */
export class DevicePoller {
  private readonly reader: PointReader | undefined;
  private readonly groups: GroupState[];
  private readonly lastReported = new Map<string, PointValue>();
  private readonly deadbands: Map<string, number>;
  private readonly abort = new AbortController();
  private unsubscribeHealth: (() => void) | undefined;
  private started = false;
  private readonly now: () => number;

  constructor(
    private readonly device: PolledDevice,
    private readonly options: DevicePollerOptions,
  ) {
    this.reader = isModbus(device) ? new PointReader(device) : undefined;
    this.groups = pollPlanInput(device.profile).map((input) => ({
      input,
      timer: undefined,
      running: undefined,
      lastHeartbeatAt: undefined,
    }));
    this.deadbands = new Map(device.profile.points.map((p) => [p.name, p.deadband]));
    this.now = options.now ?? (() => Date.now());
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    const device = this.device;
    if (isModbus(device)) {
      const key = busDeviceKey(device.unitId);
      this.unsubscribeHealth = device.scheduler.onHealthChange((c) => {
        if (c.device === key) this.options.onHealth?.({ ...c, deviceId: device.id });
      });
    }
    for (const g of this.groups) {
      const offset =
        this.options.startOffsetMs ??
        staggerOffsetMs(`${this.device.id}/${g.input.group}`, g.input.periodMs);
      this.schedule(g, offset);
    }
  }

  async stop(): Promise<void> {
    this.started = false;
    this.abort.abort();
    this.unsubscribeHealth?.();
    for (const g of this.groups) if (g.timer) clearTimeout(g.timer);
    await Promise.allSettled(this.groups.flatMap((g) => (g.running ? [g.running] : [])));
  }

  /** One read of every readable point, without change filtering (technician `read`). */
  async readAll(): Promise<{
    values: Record<string, PointValue>;
    errors: Record<string, PointFailure>;
  }> {
    const values: Record<string, PointValue> = {};
    const errors: Record<string, PointFailure> = {};
    for (const g of this.groups) {
      const r = await this.readGroup(g.input);
      Object.assign(values, r.values);
      Object.assign(errors, r.errors);
    }
    return { values, errors };
  }

  /** Runs one cycle of a group now and reports it (also what the timers call). */
  async pollGroup(group: string): Promise<ReadingReport | undefined> {
    const g = this.groups.find((x) => x.input.group === group);
    if (!g) throw new Error(`${this.device.id}: no poll group "${group}"`);
    return this.cycle(g);
  }

  private schedule(g: GroupState, delayMs: number): void {
    if (!this.started) return;
    g.timer = setTimeout(() => {
      g.timer = undefined;
      const startedAt = this.now();
      g.running = this.cycle(g)
        .then(() => undefined)
        .finally(() => {
          g.running = undefined;
          // Next cycle one period after this one started; never overlapping a slow cycle.
          const elapsed = this.now() - startedAt;
          this.schedule(g, Math.max(0, g.input.periodMs - elapsed));
        });
    }, delayMs);
  }

  private async cycle(g: GroupState): Promise<ReadingReport | undefined> {
    const at = this.now();
    const { values, errors } = await this.readGroup(g.input);
    // Stopped mid-cycle: nothing to report.
    if (this.abort.signal.aborted) return undefined;
    const heartbeat =
      g.lastHeartbeatAt === undefined || at - g.lastHeartbeatAt >= this.options.heartbeatMs;
    const out: Record<string, PointValue> = {};
    for (const [name, value] of Object.entries(values)) {
      if (heartbeat || this.changed(name, value)) {
        out[name] = value;
        this.lastReported.set(name, value);
      }
    }
    if (heartbeat) g.lastHeartbeatAt = at;
    if (Object.keys(out).length === 0 && Object.keys(errors).length === 0) return undefined;
    const report: ReadingReport = {
      deviceId: this.device.id,
      group: g.input.group,
      at,
      reason: heartbeat ? 'heartbeat' : 'change',
      values: out,
      errors,
    };
    this.options.onReport(report);
    return report;
  }

  private changed(name: string, value: PointValue): boolean {
    const last = this.lastReported.get(name);
    if (last === undefined) return true;
    const deadband = this.deadbands.get(name) ?? 0;
    if (typeof value === 'number' && typeof last === 'number') {
      return deadband > 0 ? Math.abs(value - last) > deadband : value !== last;
    }
    if (typeof value === 'bigint' && typeof last === 'bigint') {
      const diff = value > last ? value - last : last - value;
      return deadband > 0 ? diff > BigInt(Math.floor(deadband)) : diff !== 0n;
    }
    return JSON.stringify(value) !== JSON.stringify(last);
  }

  private async readGroup(
    input: PollGroupInput,
  ): Promise<{ values: Record<string, PointValue>; errors: Record<string, PointFailure> }> {
    const r = this.reader
      ? await this.reader.read(input.points, 'poll', this.abort.signal)
      : { values: {} as Record<string, PointValue>, errors: {} as Record<string, PointFailure> };
    const gpio = this.options.gpio;
    for (const p of input.points) {
      if (p.line === undefined || !gpio) continue;
      try {
        const line = await gpio.line(p.line);
        r.values[p.name] = (await line.read()) === 1;
      } catch (err) {
        r.errors[p.name] = describeFailure(err);
      }
    }
    return { values: r.values, errors: r.errors };
  }
}
