import {
  connect,
  ErrorWithReasonCode,
  ErrorWithSubackPacket,
  type IClientOptions,
  type MqttClient,
} from 'mqtt';

/** A raw mqtt.js client for tests: no automatic reconnect, bounded connect time. */
export async function connectClient(url: string, options: IClientOptions): Promise<MqttClient> {
  const client = connect(url, { reconnectPeriod: 0, connectTimeout: 5_000, ...options });
  try {
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => {
        resolve();
      });
      client.once('error', reject);
      client.once('close', () => {
        reject(new Error('connection closed before CONNACK'));
      });
    });
  } catch (error) {
    client.end(true);
    throw error;
  }
  client.on('error', () => undefined);
  return client;
}

/** Connects expecting a refusal; resolves with the CONNACK return code. */
export async function connectRefusal(url: string, options: IClientOptions): Promise<number> {
  const client = connect(url, { reconnectPeriod: 0, connectTimeout: 5_000, ...options });
  try {
    return await new Promise<number>((resolve, reject) => {
      client.once('connect', () => {
        reject(new Error('connect unexpectedly accepted'));
      });
      client.once('error', (error) => {
        if (error instanceof ErrorWithReasonCode) resolve(error.code);
        else reject(error);
      });
    });
  } finally {
    client.end(true);
  }
}

/** Resolves when the client's connection closes (e.g. the broker kicked it). */
export function closed(client: MqttClient): Promise<void> {
  if (!client.connected) return Promise.resolve();
  return new Promise((resolve) => {
    client.once('close', () => {
      resolve();
    });
  });
}

export interface Received {
  topic: string;
  payload: string;
  retain: boolean;
}

/** Records every message a client receives and waits for conditions on them with a deadline. */
export class MessageLog {
  readonly messages: Received[] = [];
  private waiters: { check: () => boolean; resolve: () => void }[] = [];

  constructor(client: MqttClient) {
    client.on('message', (topic, payload, packet) => {
      this.messages.push({ topic, payload: payload.toString('utf8'), retain: packet.retain });
      this.waiters = this.waiters.filter((w) => {
        if (!w.check()) return true;
        w.resolve();
        return false;
      });
    });
  }

  async waitFor(
    predicate: (messages: readonly Received[]) => boolean,
    what: string,
    timeoutMs = 10_000,
  ): Promise<void> {
    if (predicate(this.messages)) return;
    let timer: NodeJS.Timeout | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        const waiter = { check: () => predicate(this.messages), resolve };
        this.waiters.push(waiter);
        timer = setTimeout(() => {
          this.waiters = this.waiters.filter((w) => w !== waiter);
          reject(
            new Error(
              `timed out waiting for ${what}; got ${JSON.stringify(this.messages.map((m) => m.topic))}`,
            ),
          );
        }, timeoutMs);
      });
    } finally {
      clearTimeout(timer);
    }
  }

  topics(): string[] {
    return this.messages.map((m) => m.topic);
  }
}

export async function endAll(clients: readonly (MqttClient | undefined)[]): Promise<void> {
  const open = clients.filter((c): c is MqttClient => c !== undefined);
  await Promise.all(open.map((c) => c.endAsync(true).catch(() => undefined)));
}

/** Subscribes and returns the granted QoS per filter (128 = refused), without throwing on refusals. */
export async function subscribeGranted(
  client: MqttClient,
  filters: string | string[],
  qos: 0 | 1 = 1,
): Promise<number[]> {
  try {
    const granted = await client.subscribeAsync(filters, { qos });
    return granted.map((g) => g.qos);
  } catch (error) {
    if (error instanceof ErrorWithSubackPacket) return error.packet.granted as number[];
    throw error;
  }
}
