import type { DownlinkChannel, DownlinkMessage } from '@fleet/contracts';

/** What services need of the MQTT bus: publish a downlink to one gateway (QoS 1). */
export interface GatewayBus {
  publishDownlink(gatewayId: string, message: DownlinkMessage): Promise<void>;
  clearRetained(gatewayId: string, channel: DownlinkChannel): Promise<void>;
}

export const GATEWAY_BUS = Symbol('GATEWAY_BUS');
