// The control plane's side of the MQTT link for OTA tests without the control plane: the embedded
// broker, the control plane's MQTT client, and what the gateways report.
import type {
  DownlinkMessage,
  OtaDeploymentMessage,
  OtaReportedPhase,
  OtaStatusMessage,
  StatusMessage,
} from '@fleet/contracts';
import { EmbeddedBrokerAdapter } from '../../../apps/control-plane/src/mqtt/embedded-broker.adapter.js';
import { MqttBusAdapter } from '../../../apps/control-plane/src/mqtt/mqtt-bus.adapter.js';
import { InMemoryGatewayAuthenticator } from '../mqtt/in-memory-gateway-authenticator.js';
import { UplinkCollector } from '../mqtt/uplink-collector.js';

const SERVICE = { username: 'control-plane', password: 'service-secret-for-ota-tests' };

export class OtaTestBroker {
  readonly auth = new InMemoryGatewayAuthenticator();
  readonly collector = new UplinkCollector();
  private broker: EmbeddedBrokerAdapter | undefined;
  private bus: MqttBusAdapter | undefined;

  /** mqtt://127.0.0.1:<port>, what identity.json names. */
  url = '';

  async start(): Promise<void> {
    this.broker = new EmbeddedBrokerAdapter(
      { host: '127.0.0.1', port: 0, serviceAccount: SERVICE, acceptGateways: false },
      this.auth,
    );
    const { port } = await this.broker.start();
    this.url = `mqtt://127.0.0.1:${port}`;
    this.bus = new MqttBusAdapter(
      { url: this.broker.url, ...SERVICE, clientId: `cp-ota-${port}`, reconnectPeriodMs: 100 },
      this.collector.handler,
    );
    await this.bus.start();
    this.broker.setAcceptingGateways(true);
  }

  async stop(): Promise<void> {
    await this.bus?.stop();
    await this.broker?.stop();
    this.bus = undefined;
    this.broker = undefined;
  }

  addGateway(gatewayId: string, password: string): void {
    this.auth.add(gatewayId, password);
  }

  async send(gatewayId: string, message: DownlinkMessage): Promise<void> {
    if (!this.bus) throw new Error('broker not started');
    await this.bus.publishDownlink(gatewayId, message);
  }

  /** `ota/status` reports of a gateway (optionally of one deployment), in arrival order. */
  otaStatuses(gatewayId: string, deploymentId?: string): OtaStatusMessage[] {
    return this.collector.messages.flatMap((m) =>
      m.gatewayId === gatewayId &&
      m.channel === 'ota/status' &&
      (deploymentId === undefined || m.message.deploymentId === deploymentId)
        ? [m.message]
        : [],
    );
  }

  /** Phases reported for a deployment, with consecutive repeats (progress updates) collapsed. */
  phases(gatewayId: string, deploymentId: string): OtaReportedPhase[] {
    return this.otaStatuses(gatewayId, deploymentId)
      .map((s) => s.phase)
      .filter((p, i, all) => i === 0 || all[i - 1] !== p);
  }

  presence(gatewayId: string): StatusMessage[] {
    return this.collector.messages.flatMap((m) =>
      m.gatewayId === gatewayId && m.channel === 'status' ? [m.message] : [],
    );
  }

  /** Waits for the first report of `deploymentId` matching `match` (a phase or a predicate). */
  async waitForOta(
    gatewayId: string,
    deploymentId: string,
    match: OtaReportedPhase | ((s: OtaStatusMessage) => boolean),
    timeoutMs = 60_000,
    context: () => string = () => '',
  ): Promise<OtaStatusMessage> {
    const test = typeof match === 'string' ? (s: OtaStatusMessage) => s.phase === match : match;
    try {
      await this.collector.waitFor(
        () => this.otaStatuses(gatewayId, deploymentId).some(test),
        `ota/status of ${deploymentId} ${typeof match === 'string' ? match : 'matching'}`,
        timeoutMs,
      );
    } catch (error) {
      throw new Error(
        `${(error as Error).message}\nreported: ${JSON.stringify(this.otaStatuses(gatewayId, deploymentId))}\n${context()}`,
        { cause: error },
      );
    }
    return this.otaStatuses(gatewayId, deploymentId).find(test)!;
  }
}

/** An `ota` instruction with sensible defaults; override anything. */
export function otaInstruction(
  fields: Pick<OtaDeploymentMessage, 'deploymentId' | 'manifest' | 'downloadUrl'> &
    Partial<OtaDeploymentMessage>,
): OtaDeploymentMessage {
  return {
    v: 1,
    type: 'ota',
    action: 'install',
    token: 'test-token',
    tokenExpiresAt: Date.now() + 3_600_000,
    timeouts: { downloadMs: 60_000, installMs: 60_000, verifyMs: 30_000 },
    ...fields,
  };
}
