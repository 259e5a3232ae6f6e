import type {
  BusHealth,
  BusState,
  DeviceHealthChange as HealthChangeMessage,
  DeviceHealthState,
  DeviceHealthSummary,
} from '@fleet/contracts';
import {
  BusRegistry,
  busDeviceKey,
  DevicePoller,
  GpioLineRegistry,
  modbusTransport,
  OnoffGpioController,
  type BusRegistryOptions,
  type BusStats,
  type CommandTargets,
  type DeviceHealthChange,
  type DeviceHealthSnapshot,
  type GpioController,
  type ModbusBus,
  type ModbusDevice,
  type ReadingReport,
  type SerialBus,
} from '@fleet/fieldbus';
import { pollPlanInput, type SerialProtocolDefaults } from '@fleet/profiles';
import type { AgentLogger } from '../agent/agent-logger.js';
import type { BusSpec } from './bus-spec.js';
import {
  diffPlans,
  type PlanChanges,
  type PlannedDevice,
  type RuntimePlan,
} from './runtime-plan.js';

export interface DeviceRuntimeOptions {
  /** Every value is reported at least this often, changed or not. */
  readingHeartbeatMs: number;
  onReport: (report: ReadingReport) => void;
  onHealth: (change: HealthChangeMessage) => void;
  logger: AgentLogger;
  /** Drivers for buses (default: modbus-serial and serialport); tests pass simulated ones. */
  buses?: BusRegistryOptions;
  /** GPIO controller for one device (default: onoff over sysfs on the given chip). */
  gpio?: (chip: string | undefined) => GpioController;
  now?: () => number;
}

export interface BusStatus {
  id: string;
  kind: BusSpec['kind'];
  state: BusState;
  devices: string[];
  transactions: number;
  succeeded: number;
  errors: number;
  retries: number;
  skippedOffline: number;
  queueDepth: number;
  inFlight: number;
  lastError?: string;
}

export interface DeviceStatus {
  id: string;
  name: string;
  profileId: string;
  busId?: string;
  /** Unit id, serial address or `gpio`. */
  address: string;
  health: DeviceHealthState;
  polling: boolean;
  lastError?: string;
  lastSuccessAt?: number;
  lastReportAt?: number;
}

export interface RuntimeSnapshot {
  configVersion: number;
  buses: BusStatus[];
  devices: DeviceStatus[];
}

interface BusHandle {
  busId: string;
  spec: BusSpec;
  /** One registry per bus, so a bus can be closed without touching the others. */
  registry: BusRegistry;
  modbus?: ModbusBus;
  serial?: SerialBus;
}

interface DeviceHandle {
  planned: PlannedDevice;
  modbus?: ModbusDevice;
  serialKey?: string;
  poller?: DevicePoller;
  gpio?: { registry: GpioLineRegistry; controller: GpioController };
  /** Health of devices without a scheduler (GPIO), from their last poll. */
  derivedHealth: DeviceHealthState;
  lastError?: string;
  lastReportAt?: number;
  /** Per poll group, the failure codes last logged, so a persistent failure is logged once. */
  failing: Map<string, string>;
}

const HEALTH_OF: Readonly<Record<DeviceHealthSnapshot['state'], DeviceHealthState>> = {
  online: 'ok',
  suspect: 'degraded',
  offline: 'unreachable',
};

/**
 * Runs what a configuration asks for: one BusScheduler and one client per physical bus (shared by
 * every device on it), a DevicePoller per device, GPIO lines per device. apply() moves from one
 * plan to the next while leaving untouched buses and devices running; readings and health changes
 * go to the callbacks.
 */
export class DeviceRuntime {
  private plan: RuntimePlan | undefined;
  private readonly buses = new Map<string, BusHandle>();
  private readonly devices = new Map<string, DeviceHandle>();
  private readonly now: () => number;

  constructor(private readonly options: DeviceRuntimeOptions) {
    this.now = options.now ?? (() => Date.now());
  }

  get configVersion(): number {
    return this.plan?.version ?? 0;
  }

  async apply(plan: RuntimePlan): Promise<PlanChanges> {
    const changes = diffPlans(this.plan, plan);
    for (const id of changes.stoppedDevices) await this.stopDevice(id);
    for (const id of changes.removedBuses) await this.closeBus(id);
    for (const bus of plan.buses) {
      if (changes.addedBuses.includes(bus.busId)) this.openBus(bus.busId, bus.spec);
    }
    const started = new Set(changes.startedDevices);
    for (const bus of plan.buses) {
      for (const device of bus.devices) if (started.has(device.id)) this.startDevice(device);
    }
    for (const device of plan.gpioDevices) if (started.has(device.id)) this.startDevice(device);
    // Kept devices take the new plan's entry (same fingerprint; the name may have changed).
    for (const id of changes.keptDevices) {
      const handle = this.devices.get(id);
      const next = [...plan.buses.flatMap((b) => b.devices), ...plan.gpioDevices].find(
        (d) => d.id === id,
      );
      if (handle && next) handle.planned = next;
    }
    this.plan = plan;
    this.options.logger.info(
      {
        configVersion: plan.version,
        buses: {
          kept: changes.keptBuses,
          added: changes.addedBuses,
          removed: changes.removedBuses,
        },
        devices: {
          kept: changes.keptDevices.length,
          started: changes.startedDevices,
          stopped: changes.stoppedDevices,
        },
      },
      'runtime applied',
    );
    return changes;
  }

  /** Stops every poller and closes every bus and GPIO line. */
  async stop(): Promise<void> {
    await Promise.all([...this.devices.keys()].map((id) => this.stopDevice(id)));
    for (const id of [...this.buses.keys()]) await this.closeBus(id);
    this.plan = undefined;
  }

  /** How to reach a device for commands (Modbus through its bus scheduler, serial line, GPIO). */
  commandTargets(deviceId: string): CommandTargets | undefined {
    const handle = this.devices.get(deviceId);
    if (!handle) return undefined;
    const targets: CommandTargets = {};
    if (handle.modbus) targets.modbus = handle.modbus;
    if (handle.gpio) targets.gpio = handle.gpio.registry;
    const bus =
      handle.planned.busId === undefined ? undefined : this.buses.get(handle.planned.busId);
    if (bus?.serial && handle.serialKey !== undefined) {
      const proto = handle.planned.profile.transports.find(
        (t): t is SerialProtocolDefaults => t.kind === 'serial',
      );
      targets.serial = {
        link: bus.serial.link,
        scheduler: bus.serial.scheduler,
        device: handle.serialKey,
        timeoutMs: proto?.timeoutMs ?? 1_000,
      };
    }
    return targets;
  }

  snapshot(): RuntimeSnapshot {
    const buses: BusStatus[] = [];
    for (const bus of this.buses.values()) {
      const stats = this.statsOf(bus);
      const members = [...this.devices.values()].filter((d) => d.planned.busId === bus.busId);
      const states = members.map((d) => this.healthOf(d).state);
      const status: BusStatus = {
        id: bus.busId,
        kind: bus.spec.kind,
        state: busState(states),
        devices: members.map((d) => d.planned.id),
        transactions: stats.transactions,
        succeeded: stats.succeeded,
        errors: stats.errors,
        retries: stats.retries,
        skippedOffline: stats.skippedOffline,
        queueDepth: stats.queueDepth,
        inFlight: stats.inFlight,
      };
      const failing = members.map((d) => this.healthOf(d)).find((h) => h.state !== 'ok');
      if (failing?.lastError !== undefined) status.lastError = failing.lastError;
      buses.push(status);
    }
    const devices = [...this.devices.values()].map((d) => {
      const health = this.healthOf(d);
      const status: DeviceStatus = {
        id: d.planned.id,
        name: d.planned.name,
        profileId: d.planned.profile.id,
        address: addressOf(d.planned),
        health: health.state,
        polling: d.poller !== undefined,
      };
      if (d.planned.busId !== undefined) status.busId = d.planned.busId;
      if (health.lastError !== undefined) status.lastError = health.lastError;
      if (health.lastSuccessAt !== undefined) status.lastSuccessAt = health.lastSuccessAt;
      if (d.lastReportAt !== undefined) status.lastReportAt = d.lastReportAt;
      return status;
    });
    return { configVersion: this.configVersion, buses, devices };
  }

  /** The heartbeat's view: bus states and a device health summary. */
  heartbeat(): { buses: BusHealth[]; devices: DeviceHealthSummary } {
    const snapshot = this.snapshot();
    const buses = snapshot.buses.slice(0, 64).map((b) => {
      const health: BusHealth = { id: b.id.slice(0, 256), state: b.state, errors: b.errors };
      if (b.lastError !== undefined) health.lastError = b.lastError.slice(0, 512);
      return health;
    });
    const healthy = snapshot.devices.filter((d) => d.health === 'ok').length;
    return {
      buses,
      devices: {
        total: snapshot.devices.length,
        healthy,
        unhealthy: snapshot.devices.length - healthy,
      },
    };
  }

  private statsOf(bus: BusHandle): BusStats {
    const scheduler = bus.modbus?.scheduler ?? bus.serial?.scheduler;
    return (
      scheduler?.stats() ?? {
        busId: bus.busId,
        transactions: 0,
        succeeded: 0,
        errors: 0,
        retries: 0,
        skippedOffline: 0,
        queueDepth: 0,
        inFlight: 0,
        devices: {},
      }
    );
  }

  private healthOf(d: DeviceHandle): {
    state: DeviceHealthState;
    lastError?: string;
    lastSuccessAt?: number;
  } {
    const scheduler = d.modbus?.scheduler;
    if (scheduler && d.modbus) {
      const snap = scheduler.deviceHealth(busDeviceKey(d.modbus.unitId));
      const health: { state: DeviceHealthState; lastError?: string; lastSuccessAt?: number } = {
        state: HEALTH_OF[snap.state],
      };
      if (snap.lastError !== undefined) health.lastError = snap.lastError;
      else if (d.lastError !== undefined) health.lastError = d.lastError;
      if (snap.lastSuccessAt !== undefined) health.lastSuccessAt = snap.lastSuccessAt;
      return health;
    }
    const bus = d.planned.busId === undefined ? undefined : this.buses.get(d.planned.busId);
    if (bus?.serial && d.serialKey !== undefined) {
      const snap = bus.serial.scheduler.deviceHealth(d.serialKey);
      const health: { state: DeviceHealthState; lastError?: string; lastSuccessAt?: number } = {
        state: HEALTH_OF[snap.state],
      };
      if (snap.lastError !== undefined) health.lastError = snap.lastError;
      if (snap.lastSuccessAt !== undefined) health.lastSuccessAt = snap.lastSuccessAt;
      return health;
    }
    const health: { state: DeviceHealthState; lastError?: string } = { state: d.derivedHealth };
    if (d.lastError !== undefined) health.lastError = d.lastError;
    return health;
  }

  private openBus(busId: string, spec: BusSpec): void {
    const registry = new BusRegistry(this.options.buses);
    const handle: BusHandle = { busId, spec, registry };
    if (spec.kind === 'serial') handle.serial = registry.serial(spec.path, spec.serial);
    else handle.modbus = registry.modbus(spec);
    this.buses.set(busId, handle);
    this.options.logger.info({ busId, kind: spec.kind }, 'bus opened');
  }

  private async closeBus(busId: string): Promise<void> {
    const handle = this.buses.get(busId);
    if (!handle) return;
    this.buses.delete(busId);
    await handle.registry.closeAll().catch((error: unknown) => {
      this.options.logger.warn({ busId, err: (error as Error).message }, 'bus close failed');
    });
    this.options.logger.info({ busId }, 'bus closed');
  }

  private startDevice(planned: PlannedDevice): void {
    const log = this.options.logger.child({ deviceId: planned.id, busId: planned.busId });
    const handle: DeviceHandle = { planned, derivedHealth: 'ok', failing: new Map() };
    const { connection, profile } = planned;
    const bus = planned.busId === undefined ? undefined : this.buses.get(planned.busId);
    const readable = pollPlanInput(profile).length > 0;
    if ((connection.kind === 'modbus-rtu' || connection.kind === 'modbus-tcp') && bus?.modbus) {
      const transport = modbusTransport(profile, connection.kind);
      if (transport) {
        handle.modbus = {
          id: planned.id,
          profile,
          unitId: connection.unitId,
          transport,
          client: bus.modbus.client,
          scheduler: bus.modbus.scheduler,
        };
        // Unit 0 on a serial line is broadcast: it never answers, so it is never polled.
        const broadcast = connection.kind === 'modbus-rtu' && connection.unitId === 0;
        if (readable && !broadcast) handle.poller = this.poller(handle, handle.modbus, log);
      }
    } else if (connection.kind === 'serial') {
      handle.serialKey = `addr:${connection.address}`;
    } else if (connection.kind === 'gpio') {
      const controller = this.options.gpio?.(connection.chip) ?? defaultGpio(connection.chip);
      const registry = new GpioLineRegistry(controller, profile);
      handle.gpio = { registry, controller };
      if (readable) handle.poller = this.poller(handle, { id: planned.id, profile }, log, registry);
    }
    this.devices.set(planned.id, handle);
    handle.poller?.start();
    log.info(
      { profileId: profile.id, address: addressOf(planned), polling: handle.poller !== undefined },
      'device started',
    );
  }

  private poller(
    handle: DeviceHandle,
    device: ModbusDevice | { id: string; profile: PlannedDevice['profile'] },
    log: AgentLogger,
    gpio?: GpioLineRegistry,
  ): DevicePoller {
    return new DevicePoller(device, {
      heartbeatMs: this.options.readingHeartbeatMs,
      now: this.now,
      ...(gpio ? { gpio } : {}),
      onReport: (report) => {
        this.onReport(handle, report, log);
      },
      onHealth: (change) => {
        this.onSchedulerHealth(handle, change, log);
      },
    });
  }

  private onReport(handle: DeviceHandle, report: ReadingReport, log: AgentLogger): void {
    handle.lastReportAt = report.at;
    const failures = Object.values(report.errors);
    const codes: Record<string, number> = {};
    for (const f of failures) codes[f.code] = (codes[f.code] ?? 0) + 1;
    // Logged when the kind of failure of a poll group changes, not on every cycle.
    const signature = Object.entries(codes)
      .map(([code, n]) => `${code}:${n}`)
      .sort()
      .join(',');
    if (signature !== (handle.failing.get(report.group) ?? '')) {
      handle.failing.set(report.group, signature);
      if (failures[0]) {
        log.warn(
          { group: report.group, failing: failures.length, codes, first: failures[0].message },
          'points could not be read',
        );
      } else {
        log.info({ group: report.group }, 'all points read again');
      }
    }
    if (failures[0]) handle.lastError = `${failures[0].code}: ${failures[0].message}`;
    if (!handle.modbus && !handle.serialKey) {
      // GPIO devices have no scheduler: their health follows what their last poll could read.
      const values = Object.keys(report.values).length;
      const state: DeviceHealthState =
        failures.length === 0 ? 'ok' : values === 0 ? 'unreachable' : 'degraded';
      if (state !== handle.derivedHealth) {
        handle.derivedHealth = state;
        const change: HealthChangeMessage = { deviceId: handle.planned.id, state, ts: report.at };
        if (failures[0])
          change.error = { code: failures[0].code, message: failures[0].message.slice(0, 1024) };
        this.options.onHealth(change);
      }
    }
    if (Object.keys(report.values).length > 0) this.options.onReport(report);
  }

  private onSchedulerHealth(
    handle: DeviceHandle,
    change: DeviceHealthChange & { deviceId: string },
    log: AgentLogger,
  ): void {
    const state = HEALTH_OF[change.to];
    const message: HealthChangeMessage = { deviceId: handle.planned.id, state, ts: this.now() };
    if (change.error !== undefined) {
      handle.lastError = change.error;
      message.error = {
        code: state === 'unreachable' ? 'DEVICE_UNREACHABLE' : 'TRANSACTION_FAILED',
        message: change.error.slice(0, 1024),
        retryable: true,
      };
    }
    const fields = { from: change.from, to: change.to, err: change.error };
    if (state === 'ok') log.info(fields, 'device answers again');
    else log.warn(fields, 'device health changed');
    this.options.onHealth(message);
  }

  private async stopDevice(id: string): Promise<void> {
    const handle = this.devices.get(id);
    if (!handle) return;
    this.devices.delete(id);
    await handle.poller?.stop();
    if (handle.gpio) {
      await handle.gpio.registry.closeAll().catch(() => undefined);
      await handle.gpio.controller.closeAll().catch(() => undefined);
    }
    this.options.logger.info({ deviceId: id, busId: handle.planned.busId }, 'device stopped');
  }
}

function defaultGpio(chip: string | undefined): GpioController {
  return new OnoffGpioController(chip === undefined ? {} : { chipLabels: [chip] });
}

function addressOf(device: PlannedDevice): string {
  const c = device.connection;
  switch (c.kind) {
    case 'modbus-rtu':
    case 'modbus-tcp':
      return `unit ${c.unitId}`;
    case 'serial':
      return `address ${c.address}`;
    case 'gpio':
      return c.chip === undefined ? 'gpio' : `gpio ${c.chip}`;
  }
}

/** down when every device on the bus is unreachable, degraded when any is not ok. */
function busState(states: readonly DeviceHealthState[]): BusState {
  if (states.length > 0 && states.every((s) => s === 'unreachable')) return 'down';
  if (states.some((s) => s !== 'ok')) return 'degraded';
  return 'ok';
}
