import { randomBytes } from 'node:crypto';
import { mqttSizeLimits, type AppConfig } from '../config/app-config.js';
import { EmbeddedBrokerAdapter } from '../mqtt/embedded-broker.adapter.js';
import type { GatewayAuthenticator } from '../mqtt/gateway-authenticator.port.js';
import type { MqttLogger } from '../mqtt/mqtt-logger.js';
import type { BrokerRuntime } from './broker-runtime.js';

/**
 * aedes in this process. Gateways authenticate against the registry on every connect, so
 * provisioning, suspension and resumption are registry changes; revocation also kicks the session.
 * One replica only: aedes keeps sessions in memory.
 */
export class EmbeddedBrokerRuntime implements BrokerRuntime {
  readonly kind = 'embedded';
  private readonly adapter: EmbeddedBrokerAdapter;
  private readonly service = {
    username: 'control-plane',
    password: randomBytes(24).toString('base64url'),
  };

  constructor(
    private readonly config: AppConfig,
    authenticator: GatewayAuthenticator,
    logger: MqttLogger,
  ) {
    this.adapter = new EmbeddedBrokerAdapter(
      {
        host: config.MQTT_HOST,
        port: config.MQTT_PORT,
        serviceAccount: this.service,
        acceptGateways: false,
        maxPayloadBytes: config.MQTT_MAX_PACKET_BYTES,
        logger,
      },
      authenticator,
    );
  }

  async start(): Promise<void> {
    await this.adapter.start();
  }

  acceptGateways(): void {
    this.adapter.setAcceptingGateways(true);
  }

  async stop(): Promise<void> {
    await this.adapter.stop();
  }

  busConnection() {
    return {
      url: `mqtt://127.0.0.1:${this.adapter.port}`,
      username: this.service.username,
      password: this.service.password,
      clientId: 'control-plane',
      sharedGroup: undefined,
      protocolVersion: 4 as const,
      limits: mqttSizeLimits(this.config),
    };
  }

  gatewayUrl(requestHost: string): string {
    if (this.config.MQTT_PUBLIC_URL) return this.config.MQTT_PUBLIC_URL;
    const host = this.config.PUBLIC_URL
      ? new URL(this.config.PUBLIC_URL).hostname
      : hostOnly(requestHost);
    return `mqtt://${host || '127.0.0.1'}:${this.adapter.port}`;
  }

  async provisionGateway(): Promise<void> {
    // The registry is the credential store: nothing to tell aedes.
  }

  async suspendGateway(gatewayId: string): Promise<void> {
    await this.adapter.disconnect(gatewayId);
  }

  async resumeGateway(): Promise<void> {
    // The next connect is authenticated against the (now active) registry row.
  }

  async revokeGateway(gatewayId: string): Promise<void> {
    await this.adapter.revokeGateway(gatewayId);
  }

  health(): Promise<Record<string, unknown>> {
    const stats = this.adapter.stats();
    return Promise.resolve({
      kind: 'embedded',
      port: this.adapter.port,
      connectedGateways: stats.connectedGateways,
    });
  }
}

function hostOnly(host: string): string {
  if (host.startsWith('[')) return host.slice(0, host.indexOf(']') + 1);
  return host.replace(/:\d+$/, '');
}
