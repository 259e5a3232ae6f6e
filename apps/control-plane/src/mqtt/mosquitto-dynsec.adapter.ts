import { randomUUID } from 'node:crypto';
import { connect, type MqttClient } from 'mqtt';
import { isValidGatewayId } from '@fleet/contracts';
import type { BrokerAccessControl } from './broker-access.port.js';
import { withDeadline } from './deadline.js';
import { DYNSEC_GATEWAY_ROLE_PREFIX, gatewayAcls } from './dynsec-bootstrap.js';
import type { MqttTlsOptions } from './mqtt-bus.adapter.js';
import { MqttError } from './mqtt.error.js';
import { checkMqttUrl } from './mqtt-url.js';
import { silentMqttLogger, type MqttLogger } from './mqtt-logger.js';

export const DYNSEC_REQUEST_TOPIC = '$CONTROL/dynamic-security/v1';
export const DYNSEC_RESPONSE_TOPIC = '$CONTROL/dynamic-security/v1/response';

export interface MosquittoDynsecOptions {
  /** mqtt:// or mqtts:// URL of the Mosquitto broker. */
  url: string;
  /** An account holding the dynsec admin role (see buildDynsecBootstrap). */
  username: string;
  password: string;
  /** Default `fleet-dynsec-<random>`: several replicas may administer at once. */
  clientId?: string;
  /** Deadline for the broker to answer one batch of commands (default 5 s). */
  requestTimeoutMs?: number;
  connectTimeoutMs?: number;
  tls?: MqttTlsOptions;
  logger?: MqttLogger;
}

export type DynsecCommand = { command: string } & Record<string, unknown>;

export interface DynsecResponse {
  command: string;
  error?: string;
  data?: unknown;
}

interface PendingRequest {
  remaining: Map<string, number>;
  responses: (DynsecResponse | undefined)[];
  resolve: (responses: DynsecResponse[]) => void;
}

export function gatewayRoleName(gatewayId: string): string {
  return `${DYNSEC_GATEWAY_ROLE_PREFIX}${gatewayId}`;
}

/**
 * Drives Mosquitto's dynamic security plugin over `$CONTROL/dynamic-security/v1`: one client
 * (username = client id = gateway id) and one role with exactly that gateway's topics per gateway.
 * Disabling or deleting a client makes Mosquitto disconnect it at once.
 */
export class MosquittoDynsecAdapter implements BrokerAccessControl {
  private client: MqttClient | undefined;
  private readonly pending = new Map<string, PendingRequest>();
  private readonly log: MqttLogger;

  constructor(private readonly options: MosquittoDynsecOptions) {
    this.log = options.logger ?? silentMqttLogger;
    checkMqttUrl(options.url);
  }

  async start(): Promise<void> {
    if (this.client) throw new MqttError('MQTT_INVALID_OPTIONS', 'dynsec adapter already started');
    const client = connect(this.options.url, {
      clientId: this.options.clientId ?? `fleet-dynsec-${randomUUID()}`,
      username: this.options.username,
      password: this.options.password,
      protocolVersion: 4,
      clean: true,
      connectTimeout: this.options.connectTimeoutMs ?? 10_000,
      reconnectPeriod: 1_000,
      manualConnect: true,
      ...this.options.tls,
    });
    client.on('message', (topic, payload) => {
      if (topic === DYNSEC_RESPONSE_TOPIC) this.onResponse(payload);
    });
    client.on('error', (error) => {
      this.log.warn({ err: error.message }, 'dynsec admin connection error');
    });
    this.client = client;
    try {
      await withDeadline(
        new Promise<void>((resolve, reject) => {
          client.once('connect', () => {
            resolve();
          });
          client.once('error', reject);
          client.connect();
        }),
        this.options.connectTimeoutMs ?? 10_000,
        'connecting to Mosquitto for dynsec administration',
      );
      const granted = await client.subscribeAsync(DYNSEC_RESPONSE_TOPIC, { qos: 1 });
      if (granted.some((g) => g.qos === 128)) {
        throw new MqttError(
          'MQTT_SUBSCRIBE_REFUSED',
          `${this.options.username} may not read ${DYNSEC_RESPONSE_TOPIC}`,
        );
      }
    } catch (error) {
      this.client = undefined;
      client.end(true);
      if (error instanceof MqttError) throw error;
      throw new MqttError(
        'MQTT_CONNECT_FAILED',
        `dynsec administration cannot connect: ${(error as Error).message}`,
      );
    }
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (!client) return;
    await withDeadline(client.endAsync(), 5_000, 'closing the dynsec connection').catch(() => {
      client.end(true);
    });
  }

  /** Creates (or repairs) the gateway's role and client; an existing client gets the new password. */
  async provisionGateway(gatewayId: string, password: string): Promise<void> {
    checkGatewayId(gatewayId);
    const rolename = gatewayRoleName(gatewayId);
    const [role, created] = await this.send([
      {
        command: 'createRole',
        rolename,
        textname: `gateway ${gatewayId}`,
        acls: gatewayAcls(gatewayId),
      },
      {
        command: 'createClient',
        username: gatewayId,
        password,
        clientid: gatewayId,
        textname: `gateway ${gatewayId}`,
        roles: [{ rolename }],
      },
    ]);
    if (role?.error === 'Role already exists') {
      // Bring an older role up to the current topic scheme; existing ACLs answer "already exists".
      const added = await this.send(
        gatewayAcls(gatewayId).map((acl) => ({ command: 'addRoleACL', rolename, ...acl })),
      );
      expectOk(added, ['ACL with this topic already exists']);
    } else {
      expectOk([role], []);
    }
    if (created?.error === 'Client already exists') {
      expectOk(
        await this.send([
          { command: 'setClientPassword', username: gatewayId, password },
          { command: 'setClientId', username: gatewayId, clientid: gatewayId },
          { command: 'addClientRole', username: gatewayId, rolename },
          { command: 'enableClient', username: gatewayId },
        ]),
        [],
      );
    } else {
      expectOk([created], []);
    }
    this.log.info({ gatewayId }, 'gateway provisioned on Mosquitto');
  }

  /** Disables, then deletes the client and its role: the live session is closed at once. Idempotent. */
  async revokeGateway(gatewayId: string): Promise<void> {
    checkGatewayId(gatewayId);
    const responses = await this.send([
      { command: 'disableClient', username: gatewayId },
      { command: 'deleteClient', username: gatewayId },
      { command: 'deleteRole', rolename: gatewayRoleName(gatewayId) },
    ]);
    expectOk(responses, ['Client not found', 'Role not found']);
    this.log.info({ gatewayId }, 'gateway revoked on Mosquitto');
  }

  /** Keeps the client but refuses it (and closes its session) until resumeGateway. */
  async suspendGateway(gatewayId: string): Promise<void> {
    checkGatewayId(gatewayId);
    expectFound(await this.send([{ command: 'disableClient', username: gatewayId }]), gatewayId);
  }

  async resumeGateway(gatewayId: string): Promise<void> {
    checkGatewayId(gatewayId);
    expectFound(await this.send([{ command: 'enableClient', username: gatewayId }]), gatewayId);
  }

  /**
   * Replaces the password. Mosquitto also closes the live session (observed on 2.0.11), so the
   * gateway must already hold the new password when this runs; it reconnects with it.
   */
  async rotateGatewayPassword(gatewayId: string, newPassword: string): Promise<void> {
    checkGatewayId(gatewayId);
    expectFound(
      await this.send([
        { command: 'setClientPassword', username: gatewayId, password: newPassword },
      ]),
      gatewayId,
    );
  }

  /** Sends a batch of dynsec commands and returns their responses in order. */
  async send(commands: readonly DynsecCommand[]): Promise<DynsecResponse[]> {
    const client = this.client;
    if (!client?.connected) {
      throw new MqttError(
        'MQTT_NOT_CONNECTED',
        'dynsec administration is not connected to Mosquitto',
      );
    }
    const id = randomUUID();
    const remaining = new Map<string, number>();
    const tagged = commands.map((command, index) => {
      const correlationData = `${id}:${index}`;
      remaining.set(correlationData, index);
      return { ...command, correlationData };
    });
    const timeoutMs = this.options.requestTimeoutMs ?? 5_000;
    const answered = new Promise<DynsecResponse[]>((resolve) => {
      this.pending.set(id, {
        remaining,
        responses: new Array<DynsecResponse | undefined>(commands.length),
        resolve,
      });
    });
    try {
      await client.publishAsync(DYNSEC_REQUEST_TOPIC, JSON.stringify({ commands: tagged }), {
        qos: 1,
      });
      return await withDeadline(
        answered,
        timeoutMs,
        `dynsec ${commands.map((c) => c.command).join(', ')}`,
      );
    } finally {
      this.pending.delete(id);
    }
  }

  private onResponse(payload: Buffer): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(payload.toString('utf8'));
    } catch {
      this.log.warn({ bytes: payload.length }, 'unreadable dynsec response');
      return;
    }
    const responses = (parsed as { responses?: unknown }).responses;
    if (!Array.isArray(responses)) return;
    for (const item of responses as unknown[]) {
      if (typeof item !== 'object' || item === null) continue;
      const response = item as DynsecResponse & { correlationData?: unknown };
      if (typeof response.correlationData !== 'string') continue;
      const requestId = response.correlationData.slice(
        0,
        response.correlationData.lastIndexOf(':'),
      );
      const request = this.pending.get(requestId);
      const index = request?.remaining.get(response.correlationData);
      if (!request || index === undefined) continue;
      request.remaining.delete(response.correlationData);
      const answer: DynsecResponse = { command: response.command };
      if (typeof response.error === 'string') answer.error = response.error;
      if (response.data !== undefined) answer.data = response.data;
      request.responses[index] = answer;
      if (request.remaining.size === 0) request.resolve(request.responses as DynsecResponse[]);
    }
  }
}

function checkGatewayId(gatewayId: string): void {
  if (!isValidGatewayId(gatewayId)) {
    throw new MqttError('MQTT_INVALID_OPTIONS', `invalid gateway id ${JSON.stringify(gatewayId)}`);
  }
}

function expectOk(
  responses: readonly (DynsecResponse | undefined)[],
  tolerated: readonly string[],
): void {
  const failed = responses.filter((r) => r?.error !== undefined && !tolerated.includes(r.error));
  if (failed.length > 0) {
    throw new MqttError(
      'DYNSEC_COMMAND_FAILED',
      `Mosquitto dynsec refused: ${failed.map((r) => `${r?.command ?? '?'}: ${r?.error ?? '?'}`).join('; ')}`,
    );
  }
}

function expectFound(responses: readonly DynsecResponse[], gatewayId: string): void {
  if (responses.some((r) => r.error === 'Client not found')) {
    throw new MqttError('DYNSEC_NOT_FOUND', `gateway ${gatewayId} is not provisioned on Mosquitto`);
  }
  expectOk(responses, []);
}
