import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { packageRoot, withDeadline } from '@fleet/common';
import { CommandRunner } from '../commands/command-runner.js';
import {
  DiskBuffer,
  ExecutionDedupe,
  GatewaySession,
  type RefusalReason,
  type SessionStats,
} from '../connectivity/index.js';
import { agentVersion, firmwareVersion } from '../identity/agent-version.js';
import { ensureStateDir, IdentityStore, type StoredIdentity } from '../identity/identity.store.js';
import { createOtaService } from '../ota/ota.factory.js';
import type { OtaService } from '../ota/ota.service.js';
import { ConfigService } from '../runtime/config.service.js';
import { ConfigStore } from '../runtime/config.store.js';
import { DeviceRuntime, type DeviceRuntimeOptions } from '../runtime/device-runtime.js';
import type { AgentStatus, ConnectionStatus } from '../status/agent-status.js';
import { StatusFile } from '../status/status-file.js';
import { checkSlotDependencies } from '../supervise/slot-dependencies.js';
import { TelemetryBatcher } from '../telemetry/telemetry-batcher.js';
import type { AgentConfig } from './agent-config.js';
import { AgentError } from './agent.error.js';
import type { AgentLogger } from './agent-logger.js';
import { DownlinkDispatcher } from './downlink-dispatcher.js';
import { RunLock } from './run-lock.js';

export interface AgentOptions {
  config: AgentConfig;
  logger: AgentLogger;
  /** Test seam for bus drivers and GPIO; production uses the real ones. */
  runtime?: Pick<DeviceRuntimeOptions, 'buses' | 'gpio'>;
}

/** The broker URL as shown in logs and status: no credentials. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return url;
  }
}

/** What a technician should do about a refused CONNECT. */
export function refusalHint(reason: RefusalReason, lifecycle: StoredIdentity['lifecycle']): string {
  switch (reason) {
    case 'bad_credentials':
    case 'not_authorized':
      return lifecycle === 'pending'
        ? 'the gateway is pending approval at the control plane; it connects once an operator approves it'
        : 'the control plane refuses these credentials: the gateway may have been revoked or rejected; if it should run, enroll it again (gateway-agent enroll --force)';
    case 'identifier_rejected':
      return 'the broker refused the client id (another session may be using this gateway id)';
    case 'protocol_rejected':
      return 'the broker does not accept MQTT 3.1.1';
  }
}

/**
 * `gateway-agent run`: the MQTT session with its disk outbox, the configuration, the device
 * runtime, telemetry batching and the status file, wired together. start() returns once the
 * stored configuration (if any) is polling and the session is connecting in the background.
 */
export class Agent {
  private statusTimer: NodeJS.Timeout | undefined;
  private stopping: Promise<void> | undefined;
  private statusWrite: Promise<void> = Promise.resolve();
  private readonly startedAt = Date.now();
  private readonly bootId = randomUUID();
  private readonly agentVersion = agentVersion();
  private readonly firmwareVersion: string;
  private readonly log: AgentLogger;
  private readonly statusFile: StatusFile;
  private readonly dispatcher: DownlinkDispatcher;
  private lastRefusalHint: ConnectionStatus['lastRefusal'];
  private lock: RunLock | undefined;
  private outbox: DiskBuffer | undefined;
  private session: GatewaySession | undefined;
  private batcher: TelemetryBatcher | undefined;
  private runtime: DeviceRuntime | undefined;
  private configService: ConfigService | undefined;
  private commands: CommandRunner | undefined;
  private ota: OtaService | undefined;
  private onRestart: ((reason: string) => void) | undefined;
  /** Resolves when an update asks to restart into another slot (exit with RESTART_EXIT_CODE). */
  readonly restartRequested = new Promise<string>((resolve) => {
    this.onRestart = resolve;
  });

  private constructor(
    private readonly options: AgentOptions,
    private identity: StoredIdentity,
  ) {
    this.firmwareVersion = firmwareVersion(options.config);
    this.log = options.logger.child({ gatewayId: identity.gatewayId });
    this.statusFile = new StatusFile(options.config.stateDir);
    this.dispatcher = new DownlinkDispatcher(this.log);
  }

  static async start(options: AgentOptions): Promise<Agent> {
    const { config } = options;
    const identity = await new IdentityStore(config.stateDir).load();
    const agent = new Agent(options, identity);
    try {
      await agent.boot();
    } catch (error) {
      await agent.stop('start failed').catch(() => undefined);
      throw error;
    }
    return agent;
  }

  private async boot(): Promise<void> {
    const { config } = this.options;
    await ensureStateDir(config.stateDir);
    this.lock = await RunLock.acquire(config.stateDir);
    const outbox = await DiskBuffer.open({
      dir: join(config.stateDir, 'outbox'),
      maxBytes: config.outbox.maxBytes,
      maxMessages: config.outbox.maxMessages,
      fsync: config.outbox.fsync,
    });
    this.outbox = outbox;
    const tls = config.mqttCaFile
      ? {
          ca: await readFile(config.mqttCaFile).catch((error: unknown) => {
            throw new AgentError(
              'CONFIG_INVALID',
              `GATEWAY_AGENT_MQTT_CA_FILE: cannot read ${config.mqttCaFile ?? ''}: ${(error as Error).message}`,
            );
          }),
        }
      : undefined;
    const session = new GatewaySession({
      url: this.identity.mqtt.url,
      limits: config.mqttSizeLimits,
      gatewayId: this.identity.gatewayId,
      username: this.identity.mqtt.username,
      password: this.identity.mqtt.password,
      agentVersion: this.agentVersion,
      firmwareVersion: this.firmwareVersion,
      bootId: this.bootId,
      outbox,
      startedAt: this.startedAt,
      heartbeatIntervalMs: config.heartbeatIntervalMs,
      heartbeatSource: () => ({
        configVersion: this.configService?.version ?? 0,
        ...(this.runtime?.heartbeat() ?? {
          buses: [],
          devices: { total: 0, healthy: 0, unhealthy: 0 },
        }),
      }),
      onDownlink: (downlink) => this.dispatcher.dispatch(downlink),
      backoff: {
        initialDelayMs: config.reconnect.initialDelayMs,
        maxDelayMs: config.reconnect.maxDelayMs,
        refusedInitialDelayMs: config.reconnect.refusedDelayMs,
        refusedMaxDelayMs: config.reconnect.refusedMaxDelayMs,
      },
      logger: this.log.child({ component: 'mqtt' }),
      ...(tls ? { tls } : {}),
    });
    this.session = session;
    this.watchSession(session);

    const batcher = new TelemetryBatcher({
      bootId: this.bootId,
      intervalMs: config.telemetry.batchIntervalMs,
      maxReadings: config.telemetry.batchMaxReadings,
      publish: (message) => session.publish(message),
      logger: this.log.child({ component: 'telemetry' }),
    });
    this.batcher = batcher;
    const runtime = new DeviceRuntime({
      readingHeartbeatMs: config.telemetry.readingHeartbeatMs,
      onReport: (report) => {
        batcher.addReport(report);
      },
      onHealth: (change) => {
        batcher.addHealth(change);
      },
      logger: this.log.child({ component: 'runtime' }),
      ...this.options.runtime,
    });
    this.runtime = runtime;
    const commands = new CommandRunner({
      dedupe: await ExecutionDedupe.open({
        file: join(config.stateDir, 'seen-executions.log'),
        fsync: config.outbox.fsync,
      }),
      runtime,
      publish: (message) => session.publish(message),
      logger: this.log.child({ component: 'commands' }),
    });
    this.commands = commands;
    this.dispatcher.on('cmd', (message) => commands.accept(message));
    const configService = new ConfigService({
      store: new ConfigStore(config.stateDir, this.identity.gatewayId),
      // Commands resolve devices against the plan the runtime actually runs.
      runtime: {
        apply: async (plan) => {
          const changes = await runtime.apply(plan);
          commands.usePlan(plan);
          return changes;
        },
      },
      ack: (message) => session.publish(message),
      logger: this.log.child({ component: 'config' }),
    });
    this.configService = configService;
    this.dispatcher.on('config', (message) => configService.handle(message));
    this.dispatcher.on('control', async (message) => {
      // The session itself re-announces presence (resync) or reconnects; the config ack is ours.
      this.log.info({ action: message.action, requestId: message.requestId }, 'control request');
      if (message.action === 'resync') await configService.resync();
    });
    const ota = await createOtaService({
      config,
      gateway: {
        model: this.identity.device.model,
        hardwareRevision: this.identity.device.hardwareRevision,
      },
      firmwareVersion: this.firmwareVersion,
      publish: (message) => session.publish(message),
      // The trial's health: reconnected to the control plane and the buses polling again.
      health: {
        snapshot: () => ({ connected: session.connected, buses: runtime.snapshot().buses }),
      },
      requestRestart: (reason) => {
        this.log.info({ reason }, 'restart into another slot requested');
        this.onRestart?.(reason);
      },
      ...(config.slot ? { checkDependencies: () => checkSlotDependencies(packageRoot()) } : {}),
      logger: this.log.child({ component: 'ota' }),
    });
    this.ota = ota;
    this.dispatcher.on('ota', (message) => ota.accept(message));
    // Loads the OTA journal; resuming a download or verifying a trial continues in the background.
    await ota.start();

    // Polling starts from the stored configuration before the broker is reachable.
    await configService.start();
    session.start();
    this.log.info(
      {
        bootId: this.bootId,
        agentVersion: this.agentVersion,
        firmwareVersion: this.firmwareVersion,
        broker: redactUrl(this.identity.mqtt.url),
        stateDir: config.stateDir,
        configVersion: configService.version,
        outboxDepth: outbox.depth,
      },
      'agent started',
    );
    await this.writeStatus();
    this.statusTimer = setInterval(() => {
      void this.writeStatus();
    }, config.statusIntervalMs);
  }

  private watchSession(session: GatewaySession): void {
    session.on('connected', ({ sessionPresent }) => {
      this.lastRefusalHint = undefined;
      this.log.info(
        { sessionPresent, broker: redactUrl(this.identity.mqtt.url) },
        'connected to the control plane',
      );
      if (this.identity.lifecycle === 'pending') void this.markActive();
      void this.writeStatus();
    });
    session.on('disconnected', ({ error }) => {
      this.log.warn({ err: error }, 'disconnected from the control plane; buffering');
      void this.writeStatus();
    });
    session.on('refused', ({ code, reason, retryInMs }) => {
      const hint = refusalHint(reason, this.identity.lifecycle);
      this.lastRefusalHint = { code, reason, at: Date.now(), hint };
      this.log.warn(
        { code, reason, retryInMs, lifecycle: this.identity.lifecycle },
        `broker refused the gateway: ${hint}`,
      );
      void this.writeStatus();
    });
    session.on('retry_scheduled', ({ attempt, delayMs, reason }) => {
      this.log.debug({ attempt, delayMs, reason }, 'reconnect scheduled');
    });
  }

  /** The broker admitted a gateway enrolled as pending: it has been approved. */
  private async markActive(): Promise<void> {
    const updated: StoredIdentity = { ...this.identity, lifecycle: 'active' };
    try {
      await new IdentityStore(this.options.config.stateDir).save(updated);
      this.identity = updated;
      this.log.info('gateway approved: identity lifecycle is now active');
    } catch (error) {
      this.log.warn(
        { err: (error as Error).message },
        'could not record the approval in identity.json',
      );
    }
  }

  /** Stops pollers, flushes telemetry into the outbox, publishes offline, closes everything. */
  stop(reason: string): Promise<void> {
    this.stopping ??= this.shutdown(reason);
    return this.stopping;
  }

  private async shutdown(reason: string): Promise<void> {
    this.log.info({ reason }, 'agent stopping');
    clearInterval(this.statusTimer);
    await this.ota?.stop().catch((error: unknown) => {
      this.log.error({ err: (error as Error).message }, 'OTA stop failed');
    });
    // Commands first: running ones finish on the buses, and every result reaches the outbox.
    await this.commands?.stop().catch((error: unknown) => {
      this.log.error({ err: (error as Error).message }, 'command runner stop failed');
    });
    await this.runtime?.stop().catch((error: unknown) => {
      this.log.error({ err: (error as Error).message }, 'runtime stop failed');
    });
    await this.batcher?.stop();
    const session = this.session;
    const outbox = this.outbox;
    if (session?.connected && outbox) {
      // Give what was just flushed a moment to leave; anything left goes on the next start.
      const until = Date.now() + 3_000;
      while (outbox.depth > 0 && session.connected && Date.now() < until) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    await session?.stop(5_000).catch((error: unknown) => {
      this.log.warn({ err: (error as Error).message }, 'session stop failed');
    });
    const final = this.buildStatus('stopped');
    await outbox?.close().catch(() => undefined);
    await this.statusWrite;
    if (final) await this.statusFile.write(final).catch(() => undefined);
    await this.lock?.release().catch(() => undefined);
    this.log.info({ reason, outboxDepth: final?.outbox.depth }, 'agent stopped');
  }

  private writeStatus(): Promise<void> {
    if (this.stopping) return this.statusWrite;
    this.statusWrite = this.statusWrite.then(async () => {
      const status = this.buildStatus('running');
      if (!status || this.stopping) return;
      await withDeadline(this.statusFile.write(status), 5_000, 'writing status.json').catch(
        (error: unknown) => {
          this.log.warn({ err: (error as Error).message }, 'status.json not written');
        },
      );
    });
    return this.statusWrite;
  }

  private buildStatus(state: AgentStatus['state']): AgentStatus | undefined {
    const session = this.session;
    const outbox = this.outbox;
    const runtime = this.runtime;
    const configService = this.configService;
    const batcher = this.batcher;
    if (!session || !outbox || !runtime || !configService || !batcher) return undefined;
    const stats: SessionStats = session.stats();
    const now = Date.now();
    const connection: ConnectionStatus = {
      brokerUrl: redactUrl(this.identity.mqtt.url),
      state: stats.state,
      connected: session.connected,
      connects: stats.connects,
      disconnects: stats.disconnects,
      refusals: stats.refusals,
      uplinksDelivered: stats.uplinksDelivered,
    };
    if (stats.connectedSince !== undefined) connection.connectedSince = stats.connectedSince;
    if (this.lastRefusalHint) connection.lastRefusal = { ...this.lastRefusalHint };
    if (stats.lastError !== undefined) connection.lastError = stats.lastError;
    const snapshot = runtime.snapshot();
    const dispatch = this.dispatcher.stats();
    const status: AgentStatus = {
      v: 1,
      pid: process.pid,
      state,
      startedAt: this.startedAt,
      updatedAt: now,
      statusIntervalMs: this.options.config.statusIntervalMs,
      uptimeS: Math.floor((now - this.startedAt) / 1000),
      gatewayId: this.identity.gatewayId,
      tenantId: this.identity.tenantId,
      siteId: this.identity.siteId,
      lifecycle: this.identity.lifecycle,
      agentVersion: this.agentVersion,
      firmwareVersion: this.firmwareVersion,
      bootId: this.bootId,
      connection,
      config: configService.status(),
      buses: snapshot.buses,
      devices: snapshot.devices,
      outbox: {
        depth: stats.outbox.depth,
        bytes: stats.outbox.bytes,
        dropped: stats.outbox.dropped,
      },
      telemetry: batcher.stats(),
      downlinks: {
        ...dispatch,
        invalid: stats.invalidDownlinks,
        handlerErrors: stats.downlinkHandlerErrors,
      },
    };
    if (state === 'stopped') status.stoppedAt = now;
    return status;
  }
}
