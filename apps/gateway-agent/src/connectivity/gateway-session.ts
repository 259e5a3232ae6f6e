import { EventEmitter } from 'node:events';
import {
  connect,
  ErrorWithReasonCode,
  type IClientOptions,
  type IPublishPacket,
  type MqttClient,
} from 'mqtt';
import {
  decodeDownlink,
  encodeUplink,
  gatewayDownlinkTopics,
  isValidGatewayId,
  REJECTION_REASONS,
  type BusHealth,
  type ContractRejection,
  type DecodedDownlink,
  type DeviceHealthSummary,
  type HeartbeatMessage,
  type MqttSizeLimits,
  type RejectionReason,
  type StatusMessage,
  type UplinkMessage,
} from '@fleet/contracts';
import { ConnectivityError } from './connectivity.error.js';
import { silentConnectivityLogger, type ConnectivityLogger } from './connectivity-logger.js';
import type { BufferedEntry, DiskBuffer, DiskBufferStats } from './disk-buffer.js';
import {
  ReconnectBackoff,
  type ReconnectBackoffOptions,
  type RetryReason,
} from './reconnect-backoff.js';

/** Uplinks that go through the disk outbox (status and heartbeat are only meaningful live). */
export type BufferedUplink = Extract<
  UplinkMessage,
  { type: 'telemetry' | 'cmd_ack' | 'cmd_result' | 'ota_status' | 'config_ack' }
>;

/** What the agent runtime reports in each heartbeat. */
export interface HeartbeatSnapshot {
  configVersion: number;
  buses: BusHealth[];
  devices: DeviceHealthSummary;
}

export interface SessionTlsOptions {
  ca?: string | Buffer;
  cert?: string | Buffer;
  key?: string | Buffer;
  rejectUnauthorized?: boolean;
}

export interface GatewaySessionOptions {
  /** mqtt:// or mqtts:// URL of the broker. */
  url: string;
  gatewayId: string;
  /** Default: the gateway id. */
  username?: string;
  password: string;
  agentVersion: string;
  firmwareVersion: string;
  /** Unique per agent start; orders presence messages together with their seq. */
  bootId: string;
  /** Uplinks wait here until the broker acknowledges them. */
  outbox: DiskBuffer;
  /**
   * Receives every valid downlink, one at a time in arrival order. The PUBACK goes out once it
   * settles, so it should record and enqueue work rather than run it; a crash before that means the
   * broker delivers the message again (use ExecutionDedupe for commands). `control` messages arrive
   * here too, after the session acted on them itself (reconnect; status and heartbeat for resync).
   */
  onDownlink: (message: DecodedDownlink) => Promise<void> | void;
  heartbeatSource?: () => HeartbeatSnapshot;
  heartbeatIntervalMs?: number;
  keepaliveSeconds?: number;
  connectTimeoutMs?: number;
  /** A PUBACK missing for this long means the link is dead: it is dropped and re-established. */
  publishTimeoutMs?: number;
  /** Deadline on onDownlink for one message (default 60 s). */
  downlinkTimeoutMs?: number;
  /** Outbox entries in flight at once (default 16). */
  inflightWindow?: number;
  backoff?: ReconnectBackoffOptions;
  limits?: Partial<MqttSizeLimits>;
  tls?: SessionTlsOptions;
  logger?: ConnectivityLogger;
  /** Agent start time (for uptime); default: when the session was created. */
  startedAt?: number;
}

export type SessionState = 'idle' | 'connecting' | 'connected' | 'waiting' | 'stopped';

export type RefusalReason =
  'bad_credentials' | 'not_authorized' | 'identifier_rejected' | 'protocol_rejected';

export interface SessionStats {
  state: SessionState;
  connectedSince?: number;
  connects: number;
  disconnects: number;
  refusals: number;
  lastRefusal?: { code: number; reason: RefusalReason; at: number };
  lastError?: string;
  uplinksDelivered: number;
  invalidDownlinks: Record<RejectionReason, number>;
  downlinkHandlerErrors: number;
  outbox: DiskBufferStats;
}

export interface GatewaySessionEvents {
  connected: [{ sessionPresent: boolean }];
  disconnected: [{ error?: string }];
  /** The broker refused the CONNECT: credentials wrong or revoked. Retries slowly. */
  refused: [{ code: number; reason: RefusalReason; retryInMs: number }];
  retry_scheduled: [{ attempt: number; delayMs: number; reason: RetryReason }];
  invalid_downlink: [ContractRejection];
  delivered: [{ seq: number }];
}

interface Link {
  client: MqttClient;
  /** Seq of this connection's online status; its will and a shutdown status carry onlineSeq + 1. */
  onlineSeq: number;
  ready: boolean;
  lastSentSeq: number;
  inflight: Map<number, NodeJS.Timeout>;
  refusal?: number;
  error?: string;
  /** Set for a deliberate reconnect: wait this long instead of the backoff delay. */
  plannedDelayMs?: number;
  heartbeat?: NodeJS.Timeout;
}

// CONNACK codes that mean "these credentials will not do" (3.1.1 and 5); others retry normally.
const REFUSALS: ReadonlyMap<number, RefusalReason> = new Map<number, RefusalReason>([
  [1, 'protocol_rejected'],
  [2, 'identifier_rejected'],
  [4, 'bad_credentials'],
  [5, 'not_authorized'],
  [132, 'protocol_rejected'],
  [133, 'identifier_rejected'],
  [134, 'bad_credentials'],
  [135, 'not_authorized'],
  [138, 'not_authorized'],
]);

/**
 * The gateway's MQTT session: client id = gateway id, persistent session (clean false), QoS 1,
 * a retained offline status as last will and a retained online status after each connect,
 * heartbeats, subscriptions to its own downlinks (each validated; invalid ones dropped and
 * counted), and the disk outbox drained in order while connected, each entry removed only after
 * its PUBACK. Reconnects itself (mqtt.js reconnect is off) with jittered exponential backoff; a
 * refused CONNECT is reported and retried slowly.
 */
export class GatewaySession extends EventEmitter<GatewaySessionEvents> {
  private state: SessionState = 'idle';
  private link: Link | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private statusSeq = 0;
  private connectedSince: number | undefined;
  private pumping = false;
  private pumpRequested = false;
  private readonly backoff: ReconnectBackoff;
  private readonly log: ConnectivityLogger;
  private readonly startedAt: number;
  private readonly unsubscribeOutbox: () => void;
  private readonly counters = {
    connects: 0,
    disconnects: 0,
    refusals: 0,
    uplinksDelivered: 0,
    downlinkHandlerErrors: 0,
    invalidDownlinks: Object.fromEntries(REJECTION_REASONS.map((r) => [r, 0])) as Record<
      RejectionReason,
      number
    >,
  };
  private lastRefusal: SessionStats['lastRefusal'];
  private lastError: string | undefined;

  constructor(private readonly options: GatewaySessionOptions) {
    super();
    this.log = options.logger ?? silentConnectivityLogger;
    this.backoff = new ReconnectBackoff(options.backoff);
    this.startedAt = options.startedAt ?? Date.now();
    checkOptions(options);
    this.unsubscribeOutbox = options.outbox.onChange(() => {
      this.requestPump();
    });
  }

  /** Starts connecting in the background; progress shows in events and stats(). */
  start(): void {
    if (this.state !== 'idle') return;
    this.connectOnce();
  }

  /**
   * Publishes a retained offline status (reason shutdown) if connected, then disconnects cleanly
   * (so the broker does not also fire the will). The outbox stays open; its owner closes it.
   */
  async stop(timeoutMs = 5_000): Promise<void> {
    if (this.state === 'stopped') return;
    this.state = 'stopped';
    clearTimeout(this.retryTimer);
    this.unsubscribeOutbox();
    const link = this.link;
    this.link = undefined;
    if (!link) return;
    const wasReady = link.ready;
    this.teardown(link);
    if (wasReady && link.client.connected) {
      const offline = this.statusMessage('offline', link.onlineSeq + 1, 'shutdown');
      await this.publishLive(link, offline, timeoutMs).catch(() => undefined);
      await deadline(link.client.endAsync(), timeoutMs).catch(() => {
        link.client.end(true);
      });
    } else {
      link.client.end(true);
    }
  }

  /** Validates and encodes an uplink, then stores it in the outbox; resolves with its outbox seq. */
  async publish(message: BufferedUplink): Promise<number> {
    const encoded = encodeUplink(this.options.gatewayId, message, { limits: this.options.limits });
    return this.options.outbox.append(encoded.topic, encoded.payload);
  }

  /** Sends a heartbeat now; false when not connected (heartbeats are never buffered). */
  async sendHeartbeat(): Promise<boolean> {
    const link = this.link;
    if (!link?.ready) return false;
    await this.publishLive(link, this.heartbeatMessage(), this.options.publishTimeoutMs ?? 15_000);
    return true;
  }

  /**
   * Drops the connection and connects again after a random delay below `spreadMs` (not the
   * backoff): what a `control` reconnect asks for, spread so a fleet does not come back at once.
   */
  reconnect(spreadMs = 0): void {
    const link = this.link;
    if (!link || this.state === 'stopped') return;
    link.plannedDelayMs = Math.round(Math.random() * spreadMs);
    link.client.end(false);
  }

  get currentState(): SessionState {
    return this.state;
  }

  get connected(): boolean {
    return this.link?.ready ?? false;
  }

  stats(): SessionStats {
    const stats: SessionStats = {
      state: this.state,
      connects: this.counters.connects,
      disconnects: this.counters.disconnects,
      refusals: this.counters.refusals,
      uplinksDelivered: this.counters.uplinksDelivered,
      invalidDownlinks: { ...this.counters.invalidDownlinks },
      downlinkHandlerErrors: this.counters.downlinkHandlerErrors,
      outbox: this.options.outbox.stats(),
    };
    if (this.connectedSince !== undefined) stats.connectedSince = this.connectedSince;
    if (this.lastRefusal) stats.lastRefusal = { ...this.lastRefusal };
    if (this.lastError !== undefined) stats.lastError = this.lastError;
    return stats;
  }

  private connectOnce(): void {
    this.state = 'connecting';
    // The will takes the seq after this connection's online status, so it sorts after it.
    const onlineSeq = this.statusSeq;
    this.statusSeq += 2;
    const will = encodeUplink(
      this.options.gatewayId,
      this.statusMessage('offline', onlineSeq + 1, 'connection_lost'),
    );
    const clientOptions: IClientOptions = {
      clientId: this.options.gatewayId,
      username: this.options.username ?? this.options.gatewayId,
      password: this.options.password,
      protocolVersion: 4,
      clean: false,
      keepalive: this.options.keepaliveSeconds ?? 30,
      connectTimeout: this.options.connectTimeoutMs ?? 10_000,
      reconnectPeriod: 0,
      resubscribe: false,
      will: { topic: will.topic, payload: will.payload, qos: 1, retain: true },
      ...this.options.tls,
    };
    const client = connect(this.options.url, clientOptions);
    const link: Link = { client, onlineSeq, ready: false, lastSentSeq: -1, inflight: new Map() };
    this.link = link;
    client.handleMessage = (packet, done) => {
      this.onDownlinkPacket(link, packet).then(
        () => {
          done();
        },
        () => {
          done();
        },
      );
    };
    client.on('connect', (connack) => {
      void this.onConnected(link, connack.sessionPresent);
    });
    client.on('error', (error) => {
      link.error = error.message;
      if (error instanceof ErrorWithReasonCode && REFUSALS.has(error.code))
        link.refusal = error.code;
    });
    client.on('close', () => {
      this.onClosed(link);
    });
  }

  private async onConnected(link: Link, sessionPresent: boolean): Promise<void> {
    if (this.link !== link) return;
    const timeoutMs = this.options.connectTimeoutMs ?? 10_000;
    try {
      // Subscribe before announcing online, so nothing sent in reaction to "online" is missed.
      const granted = await deadline(
        link.client.subscribeAsync(gatewayDownlinkTopics(this.options.gatewayId), { qos: 1 }),
        timeoutMs,
      );
      if (granted.some((g) => g.qos === 128))
        throw new Error('broker refused our downlink subscriptions');
      await this.publishLive(link, this.statusMessage('online', link.onlineSeq), timeoutMs);
    } catch (error) {
      this.log.warn({ err: (error as Error).message }, 'session setup failed; reconnecting');
      link.error = (error as Error).message;
      link.client.end(true);
      return;
    }
    if (this.link !== link) return;
    link.ready = true;
    link.lastSentSeq = this.options.outbox.headSeq - 1;
    this.state = 'connected';
    this.connectedSince = Date.now();
    this.counters.connects += 1;
    this.backoff.connected();
    this.log.info({ sessionPresent, outboxDepth: this.options.outbox.depth }, 'mqtt session up');
    this.emit('connected', { sessionPresent });
    const interval = this.options.heartbeatIntervalMs ?? 30_000;
    link.heartbeat = setInterval(() => {
      this.sendHeartbeat().catch((error: unknown) => {
        this.log.debug({ err: (error as Error).message }, 'heartbeat not sent');
      });
    }, interval);
    link.heartbeat.unref();
    this.sendHeartbeat().catch(() => undefined);
    this.requestPump();
  }

  private onClosed(link: Link): void {
    if (this.link !== link) return;
    this.link = undefined;
    const wasReady = link.ready;
    this.teardown(link);
    link.client.end(true);
    if (wasReady) {
      this.counters.disconnects += 1;
      this.connectedSince = undefined;
      this.backoff.disconnected();
      this.log.warn({ err: link.error }, 'mqtt session lost');
      this.emit('disconnected', link.error === undefined ? {} : { error: link.error });
    }
    if (link.error !== undefined) this.lastError = link.error;
    if (this.state === 'stopped') return;
    let delayMs: number;
    let reason: RetryReason = 'failure';
    if (link.plannedDelayMs !== undefined) {
      delayMs = link.plannedDelayMs;
    } else if (link.refusal !== undefined) {
      reason = 'refused';
      delayMs = this.backoff.nextDelay('refused');
      const refusal = REFUSALS.get(link.refusal) ?? 'not_authorized';
      this.counters.refusals += 1;
      this.lastRefusal = { code: link.refusal, reason: refusal, at: Date.now() };
      this.log.error(
        { code: link.refusal, reason: refusal, retryInMs: delayMs },
        'broker refused our credentials',
      );
      this.emit('refused', { code: link.refusal, reason: refusal, retryInMs: delayMs });
    } else {
      delayMs = this.backoff.nextDelay('failure');
    }
    this.state = 'waiting';
    this.emit('retry_scheduled', { attempt: this.backoff.attempts, delayMs, reason });
    this.retryTimer = setTimeout(() => {
      if (this.state === 'waiting') this.connectOnce();
    }, delayMs);
  }

  private teardown(link: Link): void {
    link.ready = false;
    clearInterval(link.heartbeat);
    for (const timer of link.inflight.values()) clearTimeout(timer);
    link.inflight.clear();
  }

  private requestPump(): void {
    this.pumpRequested = true;
    if (this.pumping) return;
    this.pumping = true;
    this.runPump()
      .catch((error: unknown) => {
        this.log.error({ err: (error as Error).message }, 'outbox read failed');
      })
      .finally(() => {
        this.pumping = false;
        if (this.pumpRequested && this.link?.ready) this.requestPump();
      });
  }

  /** Sends outbox entries in order, keeping at most `inflightWindow` awaiting their PUBACK. */
  private async runPump(): Promise<void> {
    const window = this.options.inflightWindow ?? 16;
    while (this.pumpRequested) {
      this.pumpRequested = false;
      const link = this.link;
      while (link?.ready && this.link === link && link.inflight.size < window) {
        const entries = await this.options.outbox.read(
          link.lastSentSeq,
          window - link.inflight.size,
        );
        if (this.link !== link || !link.ready || entries.length === 0) break;
        for (const entry of entries) {
          link.lastSentSeq = entry.seq;
          this.send(link, entry);
        }
      }
    }
  }

  private send(link: Link, entry: BufferedEntry): void {
    const timer = setTimeout(() => {
      if (this.link !== link) return;
      link.error = `no PUBACK for outbox entry ${entry.seq} within ${this.options.publishTimeoutMs ?? 15_000} ms`;
      this.log.warn({ seq: entry.seq }, 'PUBACK overdue; dropping the connection');
      link.client.end(true);
    }, this.options.publishTimeoutMs ?? 15_000);
    link.inflight.set(entry.seq, timer);
    link.client.publish(entry.topic, entry.payload, { qos: 1 }, (error) => {
      clearTimeout(timer);
      link.inflight.delete(entry.seq);
      // A failed or orphaned publish stays in the outbox and goes again on the next connection.
      if (error || this.link !== link) return;
      this.options.outbox.ack(entry.seq).then(
        () => {
          this.counters.uplinksDelivered += 1;
          this.emit('delivered', { seq: entry.seq });
        },
        (ackError: unknown) => {
          this.log.error({ seq: entry.seq, err: (ackError as Error).message }, 'outbox ack failed');
        },
      );
    });
  }

  private async onDownlinkPacket(link: Link, packet: IPublishPacket): Promise<void> {
    const payload =
      typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
    const result = decodeDownlink(packet.topic, payload, { limits: this.options.limits });
    const rejection: ContractRejection | undefined = !result.ok
      ? result.rejection
      : result.gatewayId !== this.options.gatewayId
        ? {
            reason: 'unknown_topic',
            topic: packet.topic,
            bytes: payload.length,
            detail: 'downlink for another gateway',
            issues: [],
          }
        : undefined;
    if (rejection || !result.ok) {
      if (rejection) {
        this.counters.invalidDownlinks[rejection.reason] += 1;
        this.log.warn(
          { topic: rejection.topic, reason: rejection.reason, issues: rejection.issues },
          `downlink dropped: ${rejection.detail}`,
        );
        this.emit('invalid_downlink', rejection);
      }
      return;
    }
    if (result.channel === 'control') {
      if (result.message.action === 'reconnect') {
        const spread = result.message.spreadMs ?? 0;
        // After the PUBACK, or the broker would hand the same request over again on reconnect.
        setTimeout(() => {
          if (this.link === link) this.reconnect(spread);
        }, 0);
      } else {
        // After this handler settles: mqtt.js reads no further packet (so no PUBACK of these
        // publishes) until then, and awaiting them here stalled the session for their timeouts.
        setTimeout(() => {
          if (this.link !== link) return;
          // Same seq as this connection's online status, so the will still sorts after it.
          this.publishLive(link, this.statusMessage('online', link.onlineSeq), 5_000)
            .catch(() => undefined)
            .then(() => this.sendHeartbeat())
            .catch(() => undefined);
        }, 0);
      }
    }
    try {
      await deadline(
        Promise.resolve(this.options.onDownlink(result)),
        this.options.downlinkTimeoutMs ?? 60_000,
      );
    } catch (error) {
      this.counters.downlinkHandlerErrors += 1;
      this.log.error(
        { channel: result.channel, err: (error as Error).message },
        'downlink handler failed',
      );
    }
  }

  private statusMessage(
    state: 'online' | 'offline',
    seq: number,
    reason?: 'connection_lost' | 'shutdown',
  ): StatusMessage {
    const message: StatusMessage = {
      v: 1,
      type: 'status',
      state,
      agentVersion: this.options.agentVersion,
      firmwareVersion: this.options.firmwareVersion,
      bootId: this.options.bootId,
      ts: Date.now(),
      seq,
    };
    if (reason) message.reason = reason;
    return message;
  }

  private heartbeatMessage(): HeartbeatMessage {
    const snapshot = this.options.heartbeatSource?.() ?? {
      configVersion: 0,
      buses: [],
      devices: { total: 0, healthy: 0, unhealthy: 0 },
    };
    const outbox = this.options.outbox.stats();
    return {
      v: 1,
      type: 'heartbeat',
      bootId: this.options.bootId,
      ts: Date.now(),
      uptimeS: Math.max(0, Math.floor((Date.now() - this.startedAt) / 1000)),
      configVersion: snapshot.configVersion,
      buffer: { depth: outbox.depth, bytes: outbox.bytes, dropped: outbox.dropped },
      buses: snapshot.buses,
      devices: snapshot.devices,
    };
  }

  private async publishLive(
    link: Link,
    message: StatusMessage | HeartbeatMessage,
    timeoutMs: number,
  ): Promise<void> {
    if (!link.client.connected)
      throw new ConnectivityError('NOT_CONNECTED', 'not connected to the broker');
    const encoded = encodeUplink(this.options.gatewayId, message, { limits: this.options.limits });
    await deadline(
      link.client.publishAsync(encoded.topic, encoded.payload, { qos: 1, retain: encoded.retain }),
      timeoutMs,
    );
  }
}

async function deadline<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          reject(
            new ConnectivityError('NOT_CONNECTED', `no answer from the broker within ${ms} ms`),
          );
        }, ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function checkOptions(options: GatewaySessionOptions): void {
  if (!isValidGatewayId(options.gatewayId)) {
    throw new ConnectivityError(
      'INVALID_OPTIONS',
      `invalid gateway id ${JSON.stringify(options.gatewayId)}`,
    );
  }
  let url: URL | undefined;
  try {
    url = new URL(options.url);
  } catch {
    url = undefined;
  }
  if (!url || !['mqtt:', 'mqtts:', 'tcp:', 'ssl:'].includes(url.protocol) || !url.hostname) {
    throw new ConnectivityError(
      'INVALID_OPTIONS',
      'the broker URL must be mqtt:// or mqtts:// with a host',
    );
  }
  if (!options.password)
    throw new ConnectivityError('INVALID_OPTIONS', 'the gateway password is empty');
}
