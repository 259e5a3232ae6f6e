import { withDeadline } from '@fleet/common';
import type { EncodedMessage } from '@fleet/contracts';
import { connect, ErrorWithReasonCode, type MqttClient } from 'mqtt';
import {
  LinkRefusedError,
  type GatewayLink,
  type LinkConnector,
  type LinkEvents,
  type LinkOptions,
} from './gateway-link.port.js';

// CONNACK codes (3.1.1 and 5) that mean "these credentials will not do".
const REFUSED: ReadonlySet<number> = new Set([4, 5, 134, 135, 138]);

/** mqtt.js behind the GatewayLink port: one client per connection, no automatic reconnect. */
class MqttGatewayLink implements GatewayLink {
  constructor(
    private readonly client: MqttClient,
    private readonly options: LinkOptions,
  ) {}

  get connected(): boolean {
    return this.client.connected;
  }

  async publish(message: EncodedMessage): Promise<void> {
    try {
      await withDeadline(
        this.client.publishAsync(message.topic, message.payload, {
          qos: 1,
          retain: message.retain,
        }),
        this.options.publishTimeoutMs,
        `PUBACK for ${message.channel}`,
      );
    } catch (error) {
      if (this.client.connected) this.client.end(true);
      throw error;
    }
  }

  async end(mode: 'graceful' | 'abrupt'): Promise<void> {
    if (mode === 'abrupt') {
      this.client.stream.destroy();
      this.client.end(true);
      return;
    }
    await withDeadline(this.client.endAsync(), 5_000, 'MQTT disconnect').catch(() => {
      this.client.end(true);
    });
  }
}

export const connectMqttLink: LinkConnector = async (options: LinkOptions, events: LinkEvents) => {
  const client = connect(options.url, {
    clientId: options.clientId,
    username: options.username,
    password: options.password,
    protocolVersion: 4,
    clean: false,
    keepalive: options.keepaliveSeconds,
    connectTimeout: options.connectTimeoutMs,
    reconnectPeriod: 0,
    resubscribe: false,
    will: { topic: options.will.topic, payload: options.will.payload, qos: 1, retain: true },
  });
  let lastError: Error | undefined;
  let up = false;
  let closed = false;
  client.on('error', (error) => {
    lastError = error;
  });
  client.on('message', (topic, payload) => {
    events.onMessage(topic, payload);
  });
  const opened = new Promise<void>((resolve, reject) => {
    client.once('connect', () => {
      resolve();
    });
    client.on('close', () => {
      if (closed) return;
      closed = true;
      if (!up) {
        const refused = lastError instanceof ErrorWithReasonCode && REFUSED.has(lastError.code);
        const reason = lastError?.message ?? 'connection closed before CONNACK';
        reject(refused ? new LinkRefusedError(reason) : new Error(reason));
        return;
      }
      events.onClose(lastError?.message);
    });
  });
  try {
    await withDeadline(opened, options.connectTimeoutMs + 1_000, `MQTT connect to ${options.url}`);
    const granted = await withDeadline(
      client.subscribeAsync([...options.subscriptions], { qos: 1 }),
      options.connectTimeoutMs,
      'MQTT subscribe',
    );
    if (granted.some((g) => g.qos === 128))
      throw new LinkRefusedError('the broker refused the downlink subscriptions');
  } catch (error) {
    closed = true;
    client.end(true);
    throw error;
  }
  up = true;
  return new MqttGatewayLink(client, options);
};
