import { Aedes, type Client, type PublishPacket, type Subscription } from 'aedes';
import { createHash, timingSafeEqual } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { isValidGatewayId, parseGatewayTopic } from '@fleet/contracts';
import type { BrokerAccessControl } from './broker-access.port.js';
import { withDeadline } from './deadline.js';
import type { GatewayAuthenticator, GatewayIdentity } from './gateway-authenticator.port.js';
import { MqttError } from './mqtt.error.js';
import { silentMqttLogger, type MqttLogger } from './mqtt-logger.js';

export interface ServiceAccount {
  username: string;
  password: string;
}

export interface EmbeddedBrokerOptions {
  /** Listen address; default 0.0.0.0. */
  host?: string;
  /** TCP port; 0 picks a free one (tests). */
  port: number;
  /** The control plane's own account: may publish and subscribe anywhere except `$SYS/`. */
  serviceAccount: ServiceAccount;
  /** Deadline on one GatewayAuthenticator call (default 5 s); a miss refuses with server unavailable. */
  authTimeoutMs?: number;
  /** aedes drainTimeout: a subscriber that does not drain its socket in this time is dropped (default 10 s). */
  drainTimeoutMs?: number;
  /** Time a TCP connection has to send CONNECT (default 10 s). */
  connectTimeoutMs?: number;
  /** Largest PUBLISH payload a gateway may send (default 2 MiB); bigger ones close its connection. */
  maxPayloadBytes?: number;
  /** Gateway connects admitted per second (token bucket, burst twice the rate, at least 1; default 200). */
  maxConnectsPerSecond?: number;
  /** Gateway authentications in flight at once (default 200); more are refused as server unavailable. */
  maxPendingAuthentications?: number;
  /** Start refusing gateways (server unavailable) until setAcceptingGateways(true); default true. */
  acceptGateways?: boolean;
  logger?: MqttLogger;
}

export const CONNECT_REJECTIONS = [
  'bad_credentials',
  'client_id_mismatch',
  'will_not_allowed',
  'revoked_during_auth',
  'not_accepting',
  'rate_limited',
  'auth_unavailable',
] as const;
export type ConnectRejection = (typeof CONNECT_REJECTIONS)[number];
export const PUBLISH_REJECTIONS = [
  'sys_topic',
  'not_own_uplink',
  'oversize',
  'unauthenticated',
] as const;
export type PublishRejection = (typeof PUBLISH_REJECTIONS)[number];
export const SUBSCRIBE_REJECTIONS = [
  'not_own_downlink',
  'shared_unsupported',
  'unauthenticated',
] as const;
export type SubscribeRejection = (typeof SUBSCRIBE_REJECTIONS)[number];

export interface EmbeddedBrokerStats {
  connectedGateways: number;
  connectsAccepted: number;
  connectsRejected: Record<ConnectRejection, number>;
  publishesRejected: Record<PublishRejection, number>;
  subscribesRejected: Record<SubscribeRejection, number>;
  /** Retain flags removed from gateway publishes other than `status`. */
  retainStripped: number;
}

export interface EmbeddedBrokerEvents {
  gateway_connected: [GatewayIdentity];
  gateway_disconnected: [{ gatewayId: string }];
}

/** aedes reads the CONNACK return code from the error's returnCode. */
type ConnectRefusal = Error & { returnCode: number };

type Principal = { kind: 'service' } | ({ kind: 'gateway'; epoch: number } & GatewayIdentity);

// MQTT 3.1.1 CONNACK return codes (aedes' AuthErrorCode is an ambient const enum).
const IDENTIFIER_REJECTED = 2;
const SERVER_UNAVAILABLE = 3;
const BAD_USERNAME_OR_PASSWORD = 4;
const NOT_AUTHORIZED = 5;

const SYS_PREFIX = '$SYS/';

function zeroCounters<K extends string>(keys: readonly K[]): Record<K, number> {
  return Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/**
 * The in-process MQTT broker used when no external broker is configured: aedes on a TCP server.
 * Gateways authenticate through the registry (GatewayAuthenticator) and must use their gateway id
 * as client id; each may publish only its own uplink topics and subscribe only its own downlink
 * topics. `$SYS/` is read-only for everyone (a custom authorizePublish replaces aedes' own guard,
 * so the guard is repeated here). MQTT 3.1.1 only: aedes has no MQTT 5 and no shared subscriptions.
 */
export class EmbeddedBrokerAdapter
  extends EventEmitter<EmbeddedBrokerEvents>
  implements BrokerAccessControl
{
  private broker: Aedes | undefined;
  private server: Server | undefined;
  private boundPort = 0;
  private accepting: boolean;
  private pendingAuthentications = 0;
  private tokens: number;
  private tokensAt = Date.now();
  private readonly principals = new WeakMap<Client, Principal>();
  private readonly willTopics = new WeakMap<Client, string>();
  private readonly gateways = new Map<string, Client>();
  /** Clients announced with gateway_connected, so each gets exactly one gateway_disconnected. */
  private readonly announced = new WeakSet<Client>();
  /** Bumped by disconnect(): an authentication that started before a revocation must not finish. */
  private readonly epochs = new Map<string, number>();
  private readonly counters = {
    connectsAccepted: 0,
    connectsRejected: zeroCounters(CONNECT_REJECTIONS),
    publishesRejected: zeroCounters(PUBLISH_REJECTIONS),
    subscribesRejected: zeroCounters(SUBSCRIBE_REJECTIONS),
    retainStripped: 0,
  };
  private readonly log: MqttLogger;
  private readonly serviceUser: string;
  private readonly servicePasswordDigest: Buffer;
  private readonly rate: number;
  private readonly burst: number;

  constructor(
    private readonly options: EmbeddedBrokerOptions,
    private readonly authenticator: GatewayAuthenticator,
  ) {
    super();
    if (!options.serviceAccount.username || !options.serviceAccount.password) {
      throw new MqttError(
        'MQTT_INVALID_OPTIONS',
        'the embedded broker needs a service account username and password',
      );
    }
    this.log = options.logger ?? silentMqttLogger;
    this.accepting = options.acceptGateways ?? true;
    this.serviceUser = options.serviceAccount.username;
    this.servicePasswordDigest = digest(options.serviceAccount.password);
    this.rate = options.maxConnectsPerSecond ?? 200;
    this.burst = Math.max(1, this.rate * 2);
    this.tokens = this.burst;
  }

  /** Starts listening; resolves with the bound port. */
  async start(): Promise<{ host: string; port: number }> {
    if (this.broker)
      throw new MqttError('MQTT_BROKER_START_FAILED', 'embedded broker already started');
    const broker = await Aedes.createBroker({
      drainTimeout: this.options.drainTimeoutMs ?? 10_000,
      connectTimeout: this.options.connectTimeoutMs ?? 10_000,
      preConnect: (client, packet, callback) => {
        if (packet.will) this.willTopics.set(client, packet.will.topic);
        callback(null, true);
      },
      authenticate: (client, username, password, done) => {
        this.authenticate(client, username, password?.toString('utf8'), done);
      },
      authorizePublish: (client, packet, callback) => {
        callback(this.authorizePublish(client, packet));
      },
      authorizeSubscribe: (client, subscription, callback) => {
        callback(null, this.authorizeSubscribe(client, subscription));
      },
    });
    // 'client' fires when the session is registered, before the CONNACK goes out.
    broker.on('client', (client) => {
      this.onClientRegistered(client);
    });
    broker.on('clientDisconnect', (client) => {
      this.onClientDisconnect(client);
    });
    broker.on('clientError', (client, error) => {
      this.log.debug({ clientId: client.id, err: error.message }, 'mqtt client error');
    });
    broker.on('connectionError', (client, error) => {
      this.log.debug({ clientId: client.id, err: error.message }, 'mqtt connection error');
    });
    const host = this.options.host ?? '0.0.0.0';
    const server = createServer((socket) => {
      broker.handle(socket);
    });
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(this.options.port, host, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } catch (error) {
      await new Promise<void>((resolve) => {
        broker.close(resolve);
      });
      throw new MqttError(
        'MQTT_BROKER_START_FAILED',
        `cannot listen on ${host}:${this.options.port}: ${(error as Error).message}`,
      );
    }
    server.on('error', (error) => {
      this.log.error({ err: error.message }, 'embedded broker listener error');
    });
    this.broker = broker;
    this.server = server;
    this.boundPort = (server.address() as AddressInfo).port;
    this.log.info({ host, port: this.boundPort }, 'embedded MQTT broker listening');
    return { host, port: this.boundPort };
  }

  /** Closes every session and the listener. */
  async stop(timeoutMs = 10_000): Promise<void> {
    const { broker, server } = this;
    this.broker = undefined;
    this.server = undefined;
    if (!broker || !server) return;
    const closeServer = new Promise<void>((resolve) => {
      server.close(() => {
        resolve();
      });
    });
    await withDeadline(
      new Promise<void>((resolve) => {
        broker.close(resolve);
      }),
      timeoutMs,
      'closing the embedded broker',
    );
    await withDeadline(closeServer, timeoutMs, 'closing the embedded broker listener');
    this.gateways.clear();
  }

  get port(): number {
    return this.boundPort;
  }

  /** `mqtt://<host>:<port>` for clients on this machine. */
  get url(): string {
    const host =
      !this.options.host || this.options.host === '0.0.0.0' ? '127.0.0.1' : this.options.host;
    return `mqtt://${host}:${this.boundPort}`;
  }

  /** While false, gateways are refused with "server unavailable" (e.g. until the bus has subscribed). */
  setAcceptingGateways(accepting: boolean): void {
    this.accepting = accepting;
  }

  isConnected(gatewayId: string): boolean {
    return this.gateways.has(gatewayId);
  }

  connectedGateways(): string[] {
    return [...this.gateways.keys()];
  }

  /**
   * Closes a gateway's session at once (revocation) and voids any authentication of it still in
   * flight. Whether it may come back is the authenticator's call. Resolves true if a session was open.
   */
  async disconnect(gatewayId: string): Promise<boolean> {
    this.epochs.set(gatewayId, (this.epochs.get(gatewayId) ?? 0) + 1);
    const client = this.gateways.get(gatewayId);
    if (!client) return false;
    this.gateways.delete(gatewayId);
    await withDeadline(
      new Promise<void>((resolve) => {
        client.close(resolve);
      }),
      5_000,
      `closing the session of ${gatewayId}`,
    );
    this.log.info({ gatewayId }, 'gateway session closed by the control plane');
    return true;
  }

  /** Nothing to store: this broker asks the registry (GatewayAuthenticator) at every connect. */
  provisionGateway(gatewayId: string): Promise<void> {
    if (!isValidGatewayId(gatewayId)) {
      return Promise.reject(
        new MqttError('MQTT_INVALID_OPTIONS', `invalid gateway id ${JSON.stringify(gatewayId)}`),
      );
    }
    return Promise.resolve();
  }

  /** Closes the session; the registry, already marked revoked, refuses the reconnect. */
  async revokeGateway(gatewayId: string): Promise<void> {
    await this.disconnect(gatewayId);
  }

  /** Closes the session opened with the old password; the registry holds the new one. */
  async rotateGatewayPassword(gatewayId: string): Promise<void> {
    await this.disconnect(gatewayId);
  }

  stats(): EmbeddedBrokerStats {
    return {
      connectedGateways: this.gateways.size,
      connectsAccepted: this.counters.connectsAccepted,
      connectsRejected: { ...this.counters.connectsRejected },
      publishesRejected: { ...this.counters.publishesRejected },
      subscribesRejected: { ...this.counters.subscribesRejected },
      retainStripped: this.counters.retainStripped,
    };
  }

  private authenticate(
    client: Client,
    username: string | undefined,
    password: string | undefined,
    done: (error: ConnectRefusal | null, success: boolean | null) => void,
  ): void {
    const refuse = (returnCode: number, reason: ConnectRejection): void => {
      this.counters.connectsRejected[reason] += 1;
      // Load shedding is routine after a restart; only identity problems deserve a warning.
      const fields = { clientId: client.id, username, reason };
      if (reason === 'rate_limited' || reason === 'not_accepting')
        this.log.debug(fields, 'mqtt connect refused');
      else this.log.warn(fields, 'mqtt connect refused');
      done(Object.assign(new Error(`connect refused: ${reason}`), { returnCode }), false);
    };
    if (!username || password === undefined) {
      refuse(BAD_USERNAME_OR_PASSWORD, 'bad_credentials');
      return;
    }
    if (username === this.serviceUser) {
      if (!timingSafeEqual(digest(password), this.servicePasswordDigest)) {
        refuse(BAD_USERNAME_OR_PASSWORD, 'bad_credentials');
        return;
      }
      this.principals.set(client, { kind: 'service' });
      this.counters.connectsAccepted += 1;
      done(null, true);
      return;
    }
    if (!this.accepting) {
      refuse(SERVER_UNAVAILABLE, 'not_accepting');
      return;
    }
    if (
      !this.takeToken() ||
      this.pendingAuthentications >= (this.options.maxPendingAuthentications ?? 200)
    ) {
      refuse(SERVER_UNAVAILABLE, 'rate_limited');
      return;
    }
    const claimedId = client.id;
    const epoch = this.epochs.get(claimedId) ?? 0;
    this.pendingAuthentications += 1;
    withDeadline(
      this.authenticator.authenticate(username, password),
      this.options.authTimeoutMs ?? 5_000,
      'gateway authentication',
    )
      .then(
        (identity) => {
          if (!identity) {
            refuse(BAD_USERNAME_OR_PASSWORD, 'bad_credentials');
          } else if (claimedId !== identity.gatewayId || !isValidGatewayId(claimedId)) {
            refuse(IDENTIFIER_REJECTED, 'client_id_mismatch');
          } else if ((this.epochs.get(claimedId) ?? 0) !== epoch) {
            refuse(NOT_AUTHORIZED, 'revoked_during_auth');
          } else if (!this.willAllowed(client, identity.gatewayId)) {
            refuse(NOT_AUTHORIZED, 'will_not_allowed');
          } else {
            this.principals.set(client, { kind: 'gateway', epoch, ...identity });
            this.counters.connectsAccepted += 1;
            done(null, true);
          }
        },
        (error: unknown) => {
          this.log.error(
            { clientId: claimedId, err: (error as Error).message },
            'gateway authenticator failed',
          );
          refuse(SERVER_UNAVAILABLE, 'auth_unavailable');
        },
      )
      .finally(() => {
        this.pendingAuthentications -= 1;
      });
  }

  private willAllowed(client: Client, gatewayId: string): boolean {
    const topic = this.willTopics.get(client);
    if (topic === undefined) return true;
    const parsed = parseGatewayTopic(topic);
    return parsed !== null && parsed.direction === 'uplink' && parsed.gatewayId === gatewayId;
  }

  private takeToken(): boolean {
    const now = Date.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.tokensAt) / 1000) * this.rate);
    this.tokensAt = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  private authorizePublish(client: Client | null, packet: PublishPacket): Error | null {
    const deny = (reason: PublishRejection): Error => {
      this.counters.publishesRejected[reason] += 1;
      this.log.warn({ clientId: client?.id, topic: packet.topic, reason }, 'mqtt publish refused');
      return new Error(`publish refused: ${reason}`);
    };
    if (packet.topic.startsWith(SYS_PREFIX)) return deny('sys_topic');
    // client is null only for a will left behind by a broker that is gone; it was checked at connect.
    if (client === null) return null;
    const principal = this.principals.get(client);
    if (!principal) return deny('unauthenticated');
    if (principal.kind === 'service') return null;
    const parsed = parseGatewayTopic(packet.topic);
    if (!parsed || parsed.direction !== 'uplink' || parsed.gatewayId !== principal.gatewayId) {
      return deny('not_own_uplink');
    }
    const size =
      typeof packet.payload === 'string'
        ? Buffer.byteLength(packet.payload)
        : packet.payload.length;
    if (size > (this.options.maxPayloadBytes ?? 2 * 1024 * 1024)) return deny('oversize');
    if (packet.retain && parsed.channel !== 'status') {
      // A retained 256 KiB telemetry batch per gateway would pile up in broker memory.
      packet.retain = false;
      this.counters.retainStripped += 1;
    }
    return null;
  }

  private authorizeSubscribe(client: Client, subscription: Subscription): Subscription | null {
    const deny = (reason: SubscribeRejection): null => {
      this.counters.subscribesRejected[reason] += 1;
      this.log.warn(
        { clientId: client.id, topic: subscription.topic, reason },
        'mqtt subscribe refused',
      );
      return null;
    };
    const principal = this.principals.get(client);
    if (!principal) return deny('unauthenticated');
    if (principal.kind === 'service') {
      // aedes has no shared subscriptions: `$share/...` would silently match nothing, so refuse it.
      return subscription.topic.startsWith('$share/') ? deny('shared_unsupported') : subscription;
    }
    const parsed = parseGatewayTopic(subscription.topic);
    if (!parsed || parsed.direction !== 'downlink' || parsed.gatewayId !== principal.gatewayId) {
      return deny('not_own_downlink');
    }
    return subscription;
  }

  private onClientRegistered(client: Client): void {
    const principal = this.principals.get(client);
    if (principal?.kind !== 'gateway') return;
    if ((this.epochs.get(principal.gatewayId) ?? 0) !== principal.epoch) {
      // Revoked between authentication and registration.
      client.close();
      return;
    }
    this.gateways.set(principal.gatewayId, client);
    this.announced.add(client);
    this.emit('gateway_connected', {
      gatewayId: principal.gatewayId,
      tenantId: principal.tenantId,
    });
  }

  private onClientDisconnect(client: Client): void {
    const principal = this.principals.get(client);
    if (principal?.kind !== 'gateway') return;
    // A takeover by a newer connection of the same gateway must not unregister the newer one.
    if (this.gateways.get(principal.gatewayId) === client)
      this.gateways.delete(principal.gatewayId);
    if (this.announced.delete(client))
      this.emit('gateway_disconnected', { gatewayId: principal.gatewayId });
  }
}
