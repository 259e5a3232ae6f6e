import { randomBytes } from 'node:crypto';
import {
  decodeDownlink,
  encodeUplink,
  gatewayDownlinkTopics,
  MAX_TELEMETRY_READINGS,
  type BusHealth,
  type CommandBatchMessage,
  type CommandResult,
  type ConfigAckMessage,
  type DecodedDownlink,
  type DeviceConfig,
  type ErrorDetail,
  type GatewayConfigMessage,
  type OtaReportedPhase,
  type StatusMessage,
  type TelemetryMessage,
  type UplinkMessage,
  type ValidationIssue,
} from '@fleet/contracts';
import type { TrustedKey } from '@fleet/firmware';
import type { DeviceProfile } from '@fleet/profiles';
import { runExecution } from './command-runner.js';
import type { FleetStats } from './fleet-stats.js';
import { LinkRefusedError, type GatewayLink, type LinkConnector } from './gateway-link.port.js';
import type { SimulatedIdentity } from './identity.store.js';
import { OtaWalker } from './ota-walker.js';
import type { ProfileCache } from './profile-cache.js';
import type { SimLogger } from './sim-logger.js';
import { createSimulatedDevice, type SimulatedDevice } from './simulated-device.js';
import type { FaultRates, OtaBehaviour } from './simulator-options.js';
import { TelemetrySampler } from './telemetry-sampler.js';
import { UplinkOutbox } from './uplink-outbox.js';

export interface SimGatewaySettings {
  model: string;
  hardwareRevision: string;
  firmwareVersion: string;
  agentVersion: string;
  heartbeatMs: number;
  batchMs: number;
  pollScale: number;
  readingHeartbeatMs: number;
  faults: FaultRates;
  faultLength: number;
  dropoutMs: { min: number; max: number };
  ota: OtaBehaviour;
  /** Broker URL instead of the one enrollment gave. */
  mqttUrl?: string;
}

export interface SimGatewayDeps {
  connector: LinkConnector;
  profiles: ProfileCache;
  trustedKeys: readonly TrustedKey[];
  stats: FleetStats;
  logger: SimLogger;
  /** Uniform [0, 1), seeded per gateway. */
  random: () => number;
  isDark: (epochMs: number) => boolean;
  now?: () => number;
}

type GatewayState = 'idle' | 'connecting' | 'connected' | 'offline' | 'stopped';

const OUTBOX_ENTRIES = 2_000;
const INFLIGHT_WINDOW = 8;
const DEDUPE_CAPACITY = 10_000;
const RESULT_FLUSH_MS = 100;
const MAX_RESULTS_PER_MESSAGE = 500;
const MAX_READINGS_PER_BATCH = Math.min(1_000, MAX_TELEMETRY_READINGS);

/**
 * One simulated gateway speaking the MQTT contracts like the agent: persistent session with a
 * retained offline will and a retained online status, heartbeats, the retained `config` turned
 * into devsim devices (and acknowledged), telemetry batches on change with a heartbeat, `cmd`
 * batches deduplicated, acknowledged, run against the devices and answered, `ota` deployments
 * walked through their phases with a restart into the new version. Uplinks other than status and
 * heartbeat wait in a bounded outbox while offline. Optional faults: devices that time out or
 * answer exceptions (in the sampler) and drop-offs of the whole gateway.
 */
export class SimGateway {
  private state: GatewayState = 'idle';
  private link: GatewayLink | undefined;
  private bootId = newBootId();
  private statusSeq = 0;
  private batchSeq = 0;
  private bootedAt: number;
  firmwareVersion: string;
  private configVersion = 0;
  private lastAck: ConfigAckMessage | undefined;
  private devices = new Map<string, SimulatedDevice>();
  private readonly sampler: TelemetrySampler;
  private readonly outbox = new UplinkOutbox(OUTBOX_ENTRIES);
  private readonly seen = new Set<string>();
  private readonly busQueues = new Map<string, Promise<void>>();
  private pendingResults: CommandResult[] = [];
  private resultTimer: NodeJS.Timeout | undefined;
  private readonly timers = new Set<NodeJS.Timeout>();
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private telemetryTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private retryAttempt = 0;
  private pumping = false;
  private readonly ota: OtaWalker;
  private readonly abort = new AbortController();
  private readonly now: () => number;
  private connectedWaiters: (() => void)[] = [];

  constructor(
    readonly identity: SimulatedIdentity,
    private readonly settings: SimGatewaySettings,
    private readonly deps: SimGatewayDeps,
  ) {
    this.now = deps.now ?? Date.now;
    this.bootedAt = this.now();
    this.firmwareVersion = settings.firmwareVersion;
    this.sampler = new TelemetrySampler({
      pollScale: settings.pollScale,
      readingHeartbeatMs: settings.readingHeartbeatMs,
      faults: settings.faults,
      faultLength: settings.faultLength,
      random: deps.random,
    });
    this.ota = new OtaWalker(
      {
        model: settings.model,
        hardwareRevision: settings.hardwareRevision,
        runningVersion: () => this.firmwareVersion,
        report: (id, phase, extra) => {
          this.reportOta(id, phase, extra);
        },
        reboot: (version) => this.reboot(version),
      },
      settings.ota,
      deps.trustedKeys,
      deps.random,
      (ms) => this.sleep(ms),
    );
  }

  get id(): string {
    return this.identity.gatewayId;
  }

  get isConnected(): boolean {
    return this.state === 'connected';
  }

  get appliedConfigVersion(): number {
    return this.configVersion;
  }

  /** The simulated device with this id (for tests and the demo). */
  device(deviceId: string): SimulatedDevice | undefined {
    return this.devices.get(deviceId);
  }

  start(): void {
    if (this.state !== 'idle') return;
    this.telemetryTimer = setInterval(() => {
      this.sampleTelemetry();
    }, this.settings.batchMs);
    this.telemetryTimer.unref();
    this.scheduleDropout();
    void this.connect();
  }

  /** Resolves once connected (or after `timeoutMs`). */
  whenConnected(timeoutMs: number): Promise<boolean> {
    if (this.state === 'connected') return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        resolve(false);
      }, timeoutMs);
      this.connectedWaiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  /** Says goodbye (a retained offline status, reason shutdown) and disconnects. */
  async stop(): Promise<void> {
    if (this.state === 'stopped') return;
    const link = this.link;
    const wasConnected = this.state === 'connected';
    if (wasConnected) this.deps.stats.connected -= 1;
    this.state = 'stopped';
    this.abort.abort();
    this.ota.stop();
    clearInterval(this.telemetryTimer);
    clearInterval(this.heartbeatTimer);
    clearTimeout(this.retryTimer);
    clearTimeout(this.resultTimer);
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    if (link && wasConnected) {
      await link
        .publish(this.status('offline', this.statusSeq - 1, 'shutdown'))
        .catch(() => undefined);
      await link.end('graceful');
    } else if (link) {
      await link.end('abrupt');
    }
    this.link = undefined;
    for (const w of this.connectedWaiters.splice(0)) w();
  }

  /** Drops the connection now (the broker fires the will) and comes back after `offlineMs`. */
  dropOff(offlineMs: number): void {
    const link = this.link;
    if (this.state !== 'connected' || !link) return;
    this.deps.stats.dropouts += 1;
    this.link = undefined;
    this.onLinkGone();
    this.state = 'offline';
    void link.end('abrupt');
    this.later(offlineMs, () => {
      if (this.state === 'offline') void this.connect();
    });
  }

  // ---------------------------------------------------------------- connection

  private async connect(): Promise<void> {
    if (this.state === 'stopped' || this.state === 'connecting' || this.state === 'connected')
      return;
    this.state = 'connecting';
    // The will takes the seq after this connection's online status, so it sorts after it.
    const onlineSeq = this.statusSeq;
    this.statusSeq += 2;
    const mqtt = this.identity.mqtt;
    let link: GatewayLink | undefined;
    try {
      const opened = await this.deps.connector(
        {
          url: this.settings.mqttUrl ?? mqtt.url,
          clientId: mqtt.clientId,
          username: mqtt.username,
          password: mqtt.password,
          will: this.status('offline', onlineSeq + 1, 'connection_lost'),
          subscriptions: gatewayDownlinkTopics(this.id),
          keepaliveSeconds: 60,
          connectTimeoutMs: 15_000,
          publishTimeoutMs: 20_000,
        },
        {
          onMessage: (topic, payload) => {
            this.onDownlink(topic, payload);
          },
          onClose: (error) => {
            this.onClosed(opened, error);
          },
        },
      );
      link = opened;
      if (this.state !== 'connecting') {
        await opened.end('graceful');
        return;
      }
      await opened.publish(this.status('online', onlineSeq));
    } catch (error) {
      if (link) void link.end('abrupt');
      if (this.state !== 'connecting') return;
      const refused = error instanceof LinkRefusedError;
      if (refused) this.deps.stats.refusals += 1;
      else this.deps.stats.connectFailures += 1;
      this.state = 'offline';
      const cap = refused ? 120_000 : 30_000;
      const delay =
        Math.min(cap, (refused ? 10_000 : 1_000) * 2 ** this.retryAttempt++) *
        (0.5 + this.deps.random() / 2);
      if (this.retryAttempt === 1 || refused)
        this.deps.logger.warn(
          `${this.identity.serialNumber}: connect failed (${(error as Error).message}); retrying in ${Math.round(delay / 1000)} s`,
        );
      this.retryTimer = setTimeout(() => {
        void this.connect();
      }, delay);
      this.retryTimer.unref();
      return;
    }
    if (this.state !== 'connecting') return;
    this.link = link;
    this.state = 'connected';
    this.retryAttempt = 0;
    this.deps.stats.connected += 1;
    this.deps.stats.connects += 1;
    this.heartbeatTimer = setInterval(() => {
      this.sendHeartbeat();
    }, this.settings.heartbeatMs);
    this.heartbeatTimer.unref();
    this.sendHeartbeat();
    this.pump();
    for (const w of this.connectedWaiters.splice(0)) w();
  }

  private onClosed(link: GatewayLink, error: string | undefined): void {
    if (this.link !== link) return;
    this.link = undefined;
    this.onLinkGone();
    this.deps.stats.disconnects += 1;
    if (this.state !== 'connected') return;
    this.state = 'offline';
    this.deps.logger.warn(
      `${this.identity.serialNumber}: connection lost${error ? ` (${error})` : ''}; reconnecting`,
    );
    const delay = 500 + this.deps.random() * 2_000;
    this.later(delay, () => {
      if (this.state === 'offline') void this.connect();
    });
  }

  private onLinkGone(): void {
    clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
    this.outbox.unsendAll();
    if (this.state === 'connected') this.deps.stats.connected -= 1;
  }

  /** OTA: restart into `version` (offline, a pause, then a new boot). */
  private async reboot(version: string): Promise<void> {
    const link = this.link;
    if (this.state === 'connected' && link) {
      await link
        .publish(this.status('offline', this.statusSeq - 1, 'shutdown'))
        .catch(() => undefined);
      this.link = undefined;
      this.onLinkGone();
      this.state = 'offline';
      await link.end('graceful');
    } else if (this.state !== 'stopped') {
      this.state = 'offline';
    }
    await this.sleep(this.settings.ota.rebootMs).catch(() => undefined);
    if (this.state === 'stopped') return;
    this.firmwareVersion = version;
    this.bootId = newBootId();
    this.bootedAt = this.now();
    this.statusSeq = 0;
    this.batchSeq = 0;
    clearTimeout(this.retryTimer);
    void this.connect();
    await this.whenConnected(120_000);
  }

  private status(
    state: 'online' | 'offline',
    seq: number,
    reason?: 'connection_lost' | 'shutdown',
  ) {
    const message: StatusMessage = {
      v: 1,
      type: 'status',
      state,
      agentVersion: this.settings.agentVersion,
      firmwareVersion: this.firmwareVersion,
      bootId: this.bootId,
      ts: this.now(),
      seq: Math.max(0, seq),
    };
    if (reason) message.reason = reason;
    return encodeUplink(this.id, message);
  }

  private sendHeartbeat(): void {
    const link = this.link;
    if (this.state !== 'connected' || !link) return;
    const message = encodeUplink(this.id, {
      v: 1,
      type: 'heartbeat',
      bootId: this.bootId,
      ts: this.now(),
      uptimeS: Math.max(0, Math.floor((this.now() - this.bootedAt) / 1000)),
      configVersion: this.configVersion,
      buffer: { depth: this.outbox.depth, bytes: this.outbox.bytes, dropped: this.outbox.dropped },
      buses: this.busHealth(),
      devices: this.sampler.summary(),
    });
    link.publish(message).then(
      () => {
        this.deps.stats.heartbeats += 1;
      },
      () => {
        this.deps.stats.publishFailures += 1;
      },
    );
  }

  private busHealth(): BusHealth[] {
    const buses = new Map<string, { total: number; unhealthy: number; unreachable: number }>();
    for (const device of this.devices.values()) {
      const key = busKey(device.config);
      const b = buses.get(key) ?? { total: 0, unhealthy: 0, unreachable: 0 };
      const health = this.sampler.healthOf(device.id);
      b.total += 1;
      if (health !== 'ok') b.unhealthy += 1;
      if (health === 'unreachable') b.unreachable += 1;
      buses.set(key, b);
    }
    return [...buses].slice(0, 64).map(([id, b]) => ({
      id,
      state: b.unreachable === b.total ? 'down' : b.unhealthy > 0 ? 'degraded' : 'ok',
      errors: b.unhealthy,
    }));
  }

  // ---------------------------------------------------------------- uplinks

  /** Queues a buffered uplink and sends what the window allows. */
  private enqueue(message: UplinkMessage): void {
    const encoded = encodeUplink(this.id, message);
    const before = this.outbox.dropped;
    this.outbox.push(encoded);
    this.deps.stats.outboxDropped += this.outbox.dropped - before;
    this.pump();
  }

  private pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    try {
      const link = this.link;
      while (this.state === 'connected' && link && this.outbox.inflight < INFLIGHT_WINDOW) {
        const [entry] = this.outbox.take(1);
        if (!entry) break;
        link.publish(entry.message).then(
          () => {
            this.outbox.ack(entry);
            this.deps.stats.delivered += 1;
            this.pump();
          },
          () => {
            // It stays in the outbox and goes again on the next connection.
            this.deps.stats.publishFailures += 1;
          },
        );
      }
    } finally {
      this.pumping = false;
    }
  }

  private sampleTelemetry(): void {
    if (this.state === 'stopped' || this.devices.size === 0) return;
    const sample = this.sampler.collect(this.now());
    if (sample.readings.length === 0 && sample.health.length === 0) return;
    let health = sample.health;
    for (let i = 0; i === 0 || i < sample.readings.length; i += MAX_READINGS_PER_BATCH) {
      const readings = sample.readings.slice(i, i + MAX_READINGS_PER_BATCH);
      const message: TelemetryMessage = {
        v: 1,
        type: 'telemetry',
        bootId: this.bootId,
        batchSeq: this.batchSeq++,
        readings,
      };
      if (health.length > 0) {
        message.health = health;
        health = [];
      }
      this.enqueue(message);
      this.deps.stats.telemetryBatches += 1;
      this.deps.stats.readings += readings.length;
    }
    this.deps.stats.healthChanges += sample.health.length;
  }

  private reportOta(
    deploymentId: string,
    phase: OtaReportedPhase,
    extra: { progress?: number; error?: ErrorDetail } = {},
  ): void {
    if (this.state === 'stopped') return;
    if (phase === 'succeeded') this.deps.stats.otaSucceeded += 1;
    if (phase === 'failed') this.deps.stats.otaFailed += 1;
    if (phase === 'rolled_back') this.deps.stats.otaRolledBack += 1;
    if (phase === 'canceled') this.deps.stats.otaCanceled += 1;
    this.enqueue({
      v: 1,
      type: 'ota_status',
      deploymentId,
      phase,
      runningVersion: this.firmwareVersion,
      ts: this.now(),
      ...(extra.progress === undefined ? {} : { progress: extra.progress }),
      ...(extra.error ? { error: extra.error } : {}),
    });
  }

  // ---------------------------------------------------------------- downlinks

  private onDownlink(topic: string, payload: Buffer): void {
    const decoded = decodeDownlink(topic, payload);
    if (!decoded.ok || decoded.gatewayId !== this.id) {
      this.deps.stats.invalidDownlinks += 1;
      if (!decoded.ok)
        this.deps.logger.warn(
          `${this.identity.serialNumber}: downlink dropped: ${decoded.rejection.detail}`,
        );
      return;
    }
    this.dispatch(decoded);
  }

  private dispatch(downlink: DecodedDownlink): void {
    switch (downlink.channel) {
      case 'config':
        this.applyConfig(downlink.message);
        return;
      case 'cmd':
        this.onCommands(downlink.message);
        return;
      case 'ota':
        this.ota.handle(downlink.message);
        return;
      case 'control': {
        const link = this.link;
        if (downlink.message.action === 'reconnect' && link && this.state === 'connected') {
          const spread = downlink.message.spreadMs ?? 0;
          // After the PUBACK of this message, or the broker would hand it over again.
          this.later(0, () => {
            if (this.link !== link) return;
            this.link = undefined;
            this.onLinkGone();
            this.state = 'offline';
            void link.end('graceful').then(() => {
              this.later(this.deps.random() * spread, () => {
                if (this.state === 'offline') void this.connect();
              });
            });
          });
        } else if (downlink.message.action === 'resync' && link) {
          this.later(0, () => {
            void link.publish(this.status('online', this.statusSeq - 2)).catch(() => undefined);
            this.sendHeartbeat();
            if (this.lastAck) this.enqueue({ ...this.lastAck, ts: this.now() });
          });
        }
        return;
      }
    }
  }

  private ack(version: number, issues: ValidationIssue[], reason?: string): void {
    const ack: ConfigAckMessage =
      issues.length === 0 && reason === undefined
        ? { v: 1, type: 'config_ack', configVersion: version, status: 'applied', ts: this.now() }
        : {
            v: 1,
            type: 'config_ack',
            configVersion: version,
            status: 'rejected',
            reason: (reason ?? `${issues.length} problem(s) in configuration ${version}`).slice(
              0,
              1024,
            ),
            issues: issues
              .slice(0, 100)
              .map((i) => ({ path: i.path.slice(0, 256), message: i.message.slice(0, 512) })),
            ts: this.now(),
          };
    if (ack.status === 'applied') this.lastAck = ack;
    this.enqueue(ack);
  }

  private applyConfig(message: GatewayConfigMessage): void {
    // The retained configuration comes again on every (re)connect: confirm it, change nothing.
    if (message.version === this.configVersion) {
      this.ack(message.version, []);
      return;
    }
    if (message.version < this.configVersion) {
      this.deps.stats.configsRejected += 1;
      this.ack(
        message.version,
        [],
        `configuration ${message.version} is older than the running ${this.configVersion}`,
      );
      return;
    }
    const issues: ValidationIssue[] = [];
    const profiles = new Map<string, DeviceProfile>();
    message.profiles.forEach((source, i) => {
      try {
        profiles.set(source.id, this.deps.profiles.get(source));
      } catch (error) {
        issues.push({
          path: `profiles[${i}]`,
          message: `${source.id}: ${(error as Error).message.split('\n')[0] ?? ''}`,
        });
      }
    });
    const next = new Map<string, SimulatedDevice>();
    message.devices.forEach((config, i) => {
      if (config.enabled === false) return;
      const profile = profiles.get(config.profileId);
      if (!profile) {
        if (!issues.some((x) => x.path.startsWith('profiles')))
          issues.push({
            path: `devices[${i}].profileId`,
            message: `profile ${config.profileId} is not in the configuration's profiles`,
          });
        return;
      }
      if (!profile.transports.some((t) => t.kind === config.connection.kind)) {
        issues.push({
          path: `devices[${i}].connection.kind`,
          message: `${profile.id} has no ${config.connection.kind} transport`,
        });
        return;
      }
      const existing = this.devices.get(config.id);
      if (existing && existing.profile === profile && sameConnection(existing.config, config)) {
        next.set(config.id, existing);
        return;
      }
      next.set(
        config.id,
        createSimulatedDevice(config, profile, {
          clock: this.now,
          seed: seedOf(config.id),
          isDark: this.deps.isDark,
        }),
      );
    });
    if (issues.length > 0) {
      this.deps.stats.configsRejected += 1;
      this.ack(message.version, issues);
      return;
    }
    this.devices = next;
    this.sampler.setDevices([...next.values()], this.now());
    this.configVersion = message.version;
    this.deps.stats.configsApplied += 1;
    this.ack(message.version, []);
  }

  private onCommands(batch: CommandBatchMessage): void {
    const fresh = batch.executions.filter((e) => {
      if (this.seen.has(e.executionId)) {
        this.deps.stats.commandsDuplicate += 1;
        return false;
      }
      this.remember(e.executionId);
      return true;
    });
    this.deps.stats.commandsReceived += fresh.length;
    // Redelivered executions are acknowledged again (the first ack may be what got lost).
    this.enqueue({
      v: 1,
      type: 'cmd_ack',
      ts: this.now(),
      executionIds: batch.executions.map((e) => e.executionId),
    });
    for (const execution of [...fresh].sort((a, b) => b.priority - a.priority)) {
      const device = this.devices.get(execution.deviceId);
      const bus = device ? busKey(device.config) : 'none';
      const previous = this.busQueues.get(bus) ?? Promise.resolve();
      const run = previous.then(async () => {
        if (this.state === 'stopped') return;
        const result = await runExecution(execution, device, {
          now: this.now,
          sleep: (ms) => this.sleep(ms),
        });
        if (result.outcome === 'succeeded') this.deps.stats.commandsSucceeded += 1;
        else if (result.outcome === 'timed_out') this.deps.stats.commandsTimedOut += 1;
        else this.deps.stats.commandsFailed += 1;
        if (device) this.sampler.pollSoon(device.id, this.now());
        this.addResult(result);
      });
      const settled = run.catch((error: unknown) => {
        this.deps.logger.error(
          `${this.identity.serialNumber}: execution ${execution.executionId} crashed: ${(error as Error).message}`,
        );
      });
      this.busQueues.set(bus, settled);
      void settled.then(() => {
        if (this.busQueues.get(bus) === settled) this.busQueues.delete(bus);
      });
    }
  }

  private remember(executionId: string): void {
    this.seen.add(executionId);
    if (this.seen.size > DEDUPE_CAPACITY) {
      const oldest = this.seen.values().next().value;
      if (oldest !== undefined) this.seen.delete(oldest);
    }
  }

  private addResult(result: CommandResult): void {
    if (this.state === 'stopped') return;
    this.pendingResults.push(result);
    if (this.pendingResults.length >= MAX_RESULTS_PER_MESSAGE) {
      this.flushResults();
      return;
    }
    this.resultTimer ??= setTimeout(() => {
      this.flushResults();
    }, RESULT_FLUSH_MS);
  }

  private flushResults(): void {
    clearTimeout(this.resultTimer);
    this.resultTimer = undefined;
    const results = this.pendingResults.splice(0);
    if (results.length > 0) this.enqueue({ v: 1, type: 'cmd_result', results });
  }

  // ---------------------------------------------------------------- timers

  private scheduleDropout(): void {
    const perHour = this.settings.faults.dropoutPerHour;
    if (perHour <= 0) return;
    // Exponential gaps: drop-offs arrive as a Poisson process.
    const gap = (-Math.log(1 - this.deps.random()) / perHour) * 3_600_000;
    this.later(gap, () => {
      const { min, max } = this.settings.dropoutMs;
      this.dropOff(min + this.deps.random() * (max - min));
      this.scheduleDropout();
    });
  }

  private later(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    timer.unref();
    this.timers.add(timer);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.abort.signal.aborted) {
        reject(new Error('gateway stopped'));
        return;
      }
      const timer = setTimeout(() => {
        this.abort.signal.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(new Error('gateway stopped'));
      };
      this.abort.signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}

/** The physical bus a device sits on: a serial path, host:port, or the GPIO chip. */
export function busKey(config: DeviceConfig): string {
  const c = config.connection;
  switch (c.kind) {
    case 'modbus-rtu':
    case 'serial':
      return c.path;
    case 'modbus-tcp':
      return `${c.host}:${c.port}`;
    case 'gpio':
      return `gpio:${c.chip ?? 'default'}`;
  }
}

function sameConnection(a: DeviceConfig, b: DeviceConfig): boolean {
  return (
    a.profileId === b.profileId && JSON.stringify(a.connection) === JSON.stringify(b.connection)
  );
}

function seedOf(id: string): number {
  let h = 2166136261;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 16777619);
  return h >>> 0;
}

function newBootId(): string {
  return randomBytes(9).toString('base64url');
}
