import { EventEmitter } from 'node:events';
import { connect, type IClientOptions, type IPublishPacket, type MqttClient } from 'mqtt';
import {
  decodeUplink,
  encodeDownlink,
  gatewayTopic,
  REJECTION_REASONS,
  uplinkSubscriptionFilters,
  type ContractRejection,
  type DecodedUplink,
  type DownlinkChannel,
  type DownlinkMessage,
  type MqttSizeLimits,
  type RejectionReason,
} from '@fleet/contracts';
import { withDeadline } from './deadline.js';
import { MqttError } from './mqtt.error.js';
import { checkMqttUrl, redactMqttUrl } from './mqtt-url.js';
import { silentMqttLogger, type MqttLogger } from './mqtt-logger.js';

export interface MqttTlsOptions {
  ca?: string | Buffer;
  cert?: string | Buffer;
  key?: string | Buffer;
  rejectUnauthorized?: boolean;
}

export interface MqttBusOptions {
  /** mqtt:// or mqtts:// URL of the embedded broker or of Mosquitto. */
  url: string;
  username: string;
  password: string;
  /** Stable per replica (e.g. `control-plane-<hostname>`): the broker keeps its session while it restarts. */
  clientId: string;
  /**
   * Shared-subscription group: every replica using the same group receives each uplink once
   * (`$share/<group>/...`). Needs a broker that supports it (Mosquitto 2, EMQX). Leave unset on the
   * embedded aedes broker, which has no shared subscriptions (it refuses `$share/` filters, so
   * start() fails with MQTT_SUBSCRIBE_REFUSED). Without it every replica receives every uplink.
   */
  sharedGroup?: string;
  /** 4 = MQTT 3.1.1 (default, what aedes speaks) or 5. */
  protocolVersion?: 4 | 5;
  /** Keep the session (subscriptions and queued uplinks) while disconnected; default true. */
  persistentSession?: boolean;
  /** MQTT 5 only: how long the broker keeps the session after a disconnect (default 1 day). */
  sessionExpirySeconds?: number;
  limits?: Partial<MqttSizeLimits>;
  connectTimeoutMs?: number;
  publishTimeoutMs?: number;
  /** Deadline on the uplink handler for one message (default 30 s); a miss counts as a handler error. */
  handlerTimeoutMs?: number;
  /**
   * Handler failures that will pass (the database is away): the message is handled again with
   * backoff, up to 5 s apart, and acknowledged only once it succeeds, so nothing the broker
   * delivered is lost; meanwhile later uplinks wait in the broker's queue for this session. Other
   * failures are logged, counted and acknowledged so one bad message cannot block the rest.
   */
  isTransient?: (error: unknown) => boolean;
  /** Delay between reconnect attempts after a lost connection (default 1 s). */
  reconnectPeriodMs?: number;
  keepaliveSeconds?: number;
  tls?: MqttTlsOptions;
  logger?: MqttLogger;
}

/** Receives each valid uplink; the PUBACK goes out after it settles, so the broker redelivers on a crash. */
export type UplinkHandler = (message: DecodedUplink) => Promise<void> | void;

export interface MqttBusStats {
  connected: boolean;
  received: number;
  accepted: number;
  rejected: Record<RejectionReason, number>;
  handlerErrors: number;
  /** Attempts repeated because the handler failed transiently (see `isTransient`). */
  handlerRetries: number;
  published: number;
  publishFailures: number;
}

export interface MqttBusEvents {
  connected: [];
  disconnected: [];
  rejected: [ContractRejection];
}

/**
 * The control plane's MQTT client: receives every gateway's uplinks (QoS 1), decodes them with the
 * contracts, hands valid ones to the handler one at a time in arrival order, and drops invalid
 * ones with a counter per reason. Publishes downlinks with QoS 1 (config retained).
 */
export class MqttBusAdapter extends EventEmitter<MqttBusEvents> {
  private client: MqttClient | undefined;
  private readonly log: MqttLogger;
  private readonly counters = {
    received: 0,
    accepted: 0,
    rejected: Object.fromEntries(REJECTION_REASONS.map((r) => [r, 0])) as Record<
      RejectionReason,
      number
    >,
    handlerErrors: 0,
    handlerRetries: 0,
    published: 0,
    publishFailures: 0,
  };

  constructor(
    private readonly options: MqttBusOptions,
    private readonly handler: UplinkHandler,
  ) {
    super();
    this.log = options.logger ?? silentMqttLogger;
    checkMqttUrl(options.url);
    try {
      uplinkSubscriptionFilters(options.sharedGroup);
    } catch (error) {
      throw new MqttError('MQTT_INVALID_OPTIONS', (error as Error).message);
    }
  }

  /** Connects and subscribes to all uplinks; rejects if either fails within the connect deadline. */
  async start(): Promise<void> {
    if (this.client) throw new MqttError('MQTT_INVALID_OPTIONS', 'bus adapter already started');
    const persistent = this.options.persistentSession ?? true;
    const protocolVersion = this.options.protocolVersion ?? 4;
    const clientOptions: IClientOptions = {
      clientId: this.options.clientId,
      username: this.options.username,
      password: this.options.password,
      protocolVersion,
      clean: !persistent,
      keepalive: this.options.keepaliveSeconds ?? 30,
      connectTimeout: this.options.connectTimeoutMs ?? 10_000,
      reconnectPeriod: this.options.reconnectPeriodMs ?? 1_000,
      resubscribe: true,
      ...this.options.tls,
    };
    if (protocolVersion === 5 && persistent) {
      clientOptions.properties = {
        sessionExpiryInterval: this.options.sessionExpirySeconds ?? 86_400,
      };
    }
    const client = connect(this.options.url, { ...clientOptions, manualConnect: true });
    // Valid messages are handled before the PUBACK; mqtt.js processes one packet at a time.
    client.handleMessage = (packet, done) => {
      this.onMessage(packet, client).then(
        (acknowledge) => {
          // Not acknowledged when the bus stopped while the message still could not be handled:
          // the broker keeps it in the session and delivers it again.
          if (acknowledge) done();
        },
        (error: unknown) => {
          this.log.error({ err: (error as Error).message }, 'uplink processing failed');
          done();
        },
      );
    };
    let connects = 0;
    client.on('connect', (connack) => {
      connects += 1;
      this.log.info(
        {
          url: this.options.url,
          clientId: this.options.clientId,
          sessionPresent: connack.sessionPresent,
        },
        'mqtt bus connected',
      );
      // After a broker restart the session may claim to be present yet have lost its (shared)
      // subscriptions (seen with Mosquitto 2.0.11); subscribing again is idempotent, so always do it.
      if (connects > 1) void this.resubscribe(client);
      this.emit('connected');
    });
    client.on('close', () => {
      this.emit('disconnected');
    });
    client.on('error', (error) => {
      this.log.warn({ err: error.message }, 'mqtt bus error');
    });
    this.client = client;
    try {
      await withDeadline(
        new Promise<void>((resolve, reject) => {
          const onError = (error: Error): void => {
            client.off('connect', onConnect);
            reject(
              new MqttError(
                'MQTT_CONNECT_FAILED',
                `cannot connect to ${redactMqttUrl(this.options.url)}: ${error.message}`,
              ),
            );
          };
          const onConnect = (): void => {
            client.off('error', onError);
            resolve();
          };
          client.once('connect', onConnect);
          client.once('error', onError);
          client.connect();
        }),
        this.options.connectTimeoutMs ?? 10_000,
        `connecting to ${redactMqttUrl(this.options.url)}`,
      );
      const filters = uplinkSubscriptionFilters(this.options.sharedGroup);
      const granted = await withDeadline(
        client.subscribeAsync(filters, { qos: 1 }),
        this.options.connectTimeoutMs ?? 10_000,
        'subscribing to uplinks',
      );
      const refused = granted.filter((g) => g.qos === 128).map((g) => g.topic);
      if (refused.length > 0) {
        throw new MqttError(
          'MQTT_SUBSCRIBE_REFUSED',
          `broker refused subscriptions: ${refused.join(', ')}`,
        );
      }
    } catch (error) {
      this.client = undefined;
      client.end(true);
      if (error instanceof MqttError) throw error;
      throw new MqttError(
        'MQTT_SUBSCRIBE_REFUSED',
        `subscribing to uplinks failed: ${(error as Error).message}`,
      );
    }
  }

  /**
   * After a broker restart a persistent session can come back claiming to be present while its
   * shared subscription no longer delivers (Mosquitto 2.0.11 restores it from persistence in a
   * state where a plain re-SUBSCRIBE is a no-op). Unsubscribing and subscribing again registers it
   * afresh; both are idempotent, so this runs on every reconnect.
   */
  private async resubscribe(client: MqttClient): Promise<void> {
    const filters = uplinkSubscriptionFilters(this.options.sharedGroup);
    try {
      if (this.options.sharedGroup !== undefined) await client.unsubscribeAsync(filters);
      await client.subscribeAsync(filters, { qos: 1 });
    } catch (error) {
      this.log.warn({ err: (error as Error).message }, 'resubscribing to uplinks failed');
    }
  }

  async stop(timeoutMs = 5_000): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (!client) return;
    await withDeadline(client.endAsync(), timeoutMs, 'closing the mqtt bus').catch(() => {
      client.end(true);
    });
  }

  get connected(): boolean {
    return this.client?.connected ?? false;
  }

  /**
   * Publishes one downlink with QoS 1 and waits for the broker's PUBACK. Throws ContractError for a
   * message the contract forbids, MQTT_NOT_CONNECTED when offline (so a queue job retries later
   * instead of piling up in memory), MQTT_TIMEOUT when the broker does not acknowledge in time.
   */
  async publishDownlink(gatewayId: string, message: DownlinkMessage): Promise<void> {
    const encoded = encodeDownlink(gatewayId, message, { limits: this.options.limits });
    await this.publishRaw(encoded.topic, encoded.payload, encoded.retain);
  }

  /** Removes the retained message of a gateway's channel (e.g. its config when it is deleted). */
  async clearRetained(gatewayId: string, channel: DownlinkChannel): Promise<void> {
    await this.publishRaw(gatewayTopic(gatewayId, channel), Buffer.alloc(0), true);
  }

  stats(): MqttBusStats {
    return {
      connected: this.connected,
      received: this.counters.received,
      accepted: this.counters.accepted,
      rejected: { ...this.counters.rejected },
      handlerErrors: this.counters.handlerErrors,
      handlerRetries: this.counters.handlerRetries,
      published: this.counters.published,
      publishFailures: this.counters.publishFailures,
    };
  }

  private async publishRaw(topic: string, payload: Buffer, retain: boolean): Promise<void> {
    const client = this.client;
    if (!client?.connected) {
      this.counters.publishFailures += 1;
      throw new MqttError(
        'MQTT_NOT_CONNECTED',
        `cannot publish to ${topic}: the MQTT bus is not connected`,
      );
    }
    try {
      await withDeadline(
        client.publishAsync(topic, payload, { qos: 1, retain }),
        this.options.publishTimeoutMs ?? 10_000,
        `publishing to ${topic}`,
      );
      this.counters.published += 1;
    } catch (error) {
      this.counters.publishFailures += 1;
      if (error instanceof MqttError) throw error;
      throw new MqttError(
        'MQTT_NOT_CONNECTED',
        `publishing to ${topic} failed: ${(error as Error).message}`,
      );
    }
  }

  /** Handles one uplink; resolves whether to acknowledge it. */
  private async onMessage(packet: IPublishPacket, client: MqttClient): Promise<boolean> {
    this.counters.received += 1;
    const payload =
      typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
    const result = decodeUplink(packet.topic, payload, { limits: this.options.limits });
    if (!result.ok) {
      const { rejection } = result;
      this.counters.rejected[rejection.reason] += 1;
      this.log.warn(
        {
          topic: rejection.topic,
          gatewayId: rejection.gatewayId,
          reason: rejection.reason,
          bytes: rejection.bytes,
          issues: rejection.issues,
        },
        `uplink dropped: ${rejection.detail}`,
      );
      this.emit('rejected', rejection);
      return true;
    }
    this.counters.accepted += 1;
    for (let attempt = 0; ; attempt += 1) {
      try {
        await withDeadline(
          Promise.resolve(this.handler(result)),
          this.options.handlerTimeoutMs ?? 30_000,
          `handling ${result.channel} of ${result.gatewayId}`,
        );
        return true;
      } catch (error) {
        const fields = {
          gatewayId: result.gatewayId,
          channel: result.channel,
          err: (error as Error).message,
        };
        if (this.options.isTransient?.(error) !== true) {
          this.counters.handlerErrors += 1;
          this.log.error(
            fields,
            'uplink handler failed; message acknowledged anyway so it cannot block the queue',
          );
          return true;
        }
        if (this.client !== client) return false;
        this.counters.handlerRetries += 1;
        const delayMs = Math.min(250 * 2 ** Math.min(attempt, 5), 5_000);
        if (attempt === 0 || delayMs === 5_000) {
          this.log.warn({ ...fields, attempt, delayMs }, 'uplink not handled yet; retrying');
        }
        await new Promise((resolve) => setTimeout(resolve, delayMs));
        if (this.client !== client) return false;
      }
    }
  }
}
