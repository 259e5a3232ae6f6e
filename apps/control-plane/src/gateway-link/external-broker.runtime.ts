import { hostname } from 'node:os';
import { mqttSizeLimits, type AppConfig } from '../config/app-config.js';
import { MosquittoDynsecAdapter } from '../mqtt/mosquitto-dynsec.adapter.js';
import type { MqttLogger } from '../mqtt/mqtt-logger.js';
import type { BrokerRuntime } from './broker-runtime.js';

/**
 * Mosquitto with the dynamic-security plugin: the control plane creates one client and role per
 * gateway; disabling a client closes its session at once. Several replicas share uplinks through
 * an MQTT 5 shared subscription.
 */
export class ExternalBrokerRuntime implements BrokerRuntime {
  readonly kind = 'external';
  private readonly dynsec: MosquittoDynsecAdapter;
  private readonly url: string;
  private readonly username: string;
  private readonly password: string;

  constructor(
    private readonly config: AppConfig,
    logger: MqttLogger,
  ) {
    if (!config.MQTT_URL || !config.MQTT_USERNAME || !config.MQTT_PASSWORD) {
      throw new Error(
        'MQTT_URL, MQTT_USERNAME and MQTT_PASSWORD are needed for an external broker',
      );
    }
    this.url = config.MQTT_URL;
    this.username = config.MQTT_USERNAME;
    this.password = config.MQTT_PASSWORD;
    this.dynsec = new MosquittoDynsecAdapter({
      url: this.url,
      username: this.username,
      password: this.password,
      logger,
    });
  }

  async start(): Promise<void> {
    await this.dynsec.start();
  }

  acceptGateways(): void {
    // The external broker accepts gateways on its own; uplinks wait in their persistent sessions.
  }

  async stop(): Promise<void> {
    await this.dynsec.stop();
  }

  busConnection() {
    return {
      url: this.url,
      username: this.username,
      password: this.password,
      clientId:
        this.config.MQTT_CLIENT_ID ??
        `control-plane-${this.config.PROCESS_ROLE}-${hostname()}`.slice(0, 64),
      sharedGroup: this.config.MQTT_SHARED_GROUP,
      protocolVersion: 5 as const,
      limits: mqttSizeLimits(this.config),
    };
  }

  gatewayUrl(): string {
    return this.config.MQTT_PUBLIC_URL ?? this.url;
  }

  provisionGateway(gatewayId: string, password: string): Promise<void> {
    return this.dynsec.provisionGateway(gatewayId, password);
  }

  suspendGateway(gatewayId: string): Promise<void> {
    return this.dynsec.suspendGateway(gatewayId);
  }

  resumeGateway(gatewayId: string): Promise<void> {
    return this.dynsec.resumeGateway(gatewayId);
  }

  revokeGateway(gatewayId: string): Promise<void> {
    return this.dynsec.revokeGateway(gatewayId);
  }

  async health(): Promise<Record<string, unknown>> {
    await this.dynsec.send([{ command: 'getDefaultACLAccess' }]);
    return { kind: 'external', url: this.url.replace(/\/\/[^@]*@/, '//') };
  }
}
