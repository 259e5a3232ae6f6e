import {
  encodeUplink,
  gatewayDownlinkTopics,
  gatewayTopic,
  type EnrollmentResponseDto,
  type UplinkMessage,
} from '@fleet/contracts';
import { connect, type MqttClient } from 'mqtt';
import type { ApiClient } from './http.js';
import { connectClient, MessageLog } from './mqtt/mqtt-test-client.js';

/**
 * A protocol-level gateway for control-plane tests: enrolls over HTTP with a claim code, then
 * speaks the real MQTT contracts (it is not the agent; the agent has its own tests and e2e).
 */
export class TestGateway {
  client: MqttClient | undefined;
  log: MessageLog | undefined;
  private seq = 0;
  readonly bootId = `boot${Math.random().toString(36).slice(2, 10)}`;

  constructor(readonly identity: EnrollmentResponseDto) {}

  get id(): string {
    return this.identity.gatewayId;
  }

  static async enroll(
    anonymous: ApiClient,
    claimCode: string,
    serialNumber: string,
    extra: Partial<{ model: string; hardwareRevision: string }> = {},
  ): Promise<TestGateway> {
    const res = await anonymous.post<EnrollmentResponseDto>('/api/v1/enrollments', {
      claimCode,
      serialNumber,
      model: extra.model ?? 'rpi4',
      hardwareRevision: extra.hardwareRevision ?? '1.4',
      agentVersion: '0.1.0',
      firmwareVersion: '0.1.0',
    });
    if (res.status !== 201)
      throw new Error(`enrollment failed: ${res.status} ${JSON.stringify(res.body)}`);
    return new TestGateway(res.body);
  }

  /** Connects with its credentials, a retained last will, and subscribes to its downlinks. */
  async connect(): Promise<void> {
    const { mqtt } = this.identity;
    this.seq += 1;
    const will = encodeUplink(this.id, {
      v: 1,
      type: 'status',
      state: 'offline',
      reason: 'connection_lost',
      agentVersion: '0.1.0',
      firmwareVersion: '0.1.0',
      bootId: this.bootId,
      ts: Date.now(),
      seq: this.seq + 1,
    });
    this.client = await connectClient(mqtt.url, {
      clientId: mqtt.clientId,
      username: mqtt.username,
      password: mqtt.password,
      clean: false,
      will: { topic: will.topic, payload: Buffer.from(will.payload), qos: 1, retain: true },
    });
    this.log = new MessageLog(this.client);
    await this.client.subscribeAsync(gatewayDownlinkTopics(this.id), { qos: 1 });
    await this.publish({
      v: 1,
      type: 'status',
      state: 'online',
      agentVersion: '0.1.0',
      firmwareVersion: '0.1.0',
      bootId: this.bootId,
      ts: Date.now(),
      seq: this.seq,
    });
    this.seq += 1;
  }

  async publish(message: UplinkMessage): Promise<void> {
    const encoded = encodeUplink(this.id, message);
    await this.client!.publishAsync(encoded.topic, Buffer.from(encoded.payload), {
      qos: 1,
      retain: encoded.retain,
    });
  }

  async publishRaw(channel: 'telemetry' | 'status', payload: string): Promise<void> {
    await this.client!.publishAsync(gatewayTopic(this.id, channel), payload, { qos: 1 });
  }

  /** Drops the TCP connection without DISCONNECT, so the broker fires the last will. */
  crash(): void {
    this.client?.stream.destroy();
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client) await client.endAsync(true).catch(() => undefined);
  }
}

/** Connects as some gateway and reports the CONNACK refusal code, or 0 when accepted. */
export async function tryConnect(
  url: string,
  clientId: string,
  username: string,
  password: string,
): Promise<number> {
  const client = connect(url, {
    clientId,
    username,
    password,
    reconnectPeriod: 0,
    connectTimeout: 5_000,
  });
  try {
    return await new Promise<number>((resolve, reject) => {
      client.once('connect', () => {
        resolve(0);
      });
      client.once('error', (error: Error & { code?: unknown }) => {
        if (typeof error.code === 'number') resolve(error.code);
        else reject(error);
      });
    });
  } finally {
    client.end(true);
  }
}
