import type { MqttBusOptions } from '../mqtt/mqtt-bus.adapter.js';

/**
 * The broker gateways use, as the control plane drives it: embedded (aedes, in this process) or
 * external (Mosquitto with dynamic security). One interface, chosen from config at boot.
 */
export interface BrokerRuntime {
  readonly kind: 'embedded' | 'external';
  start(): Promise<void>;
  /** Embedded: gateways are refused until the control plane's own subscriptions are in place. */
  acceptGateways(): void;
  stop(): Promise<void>;
  /** Where the control plane's bus connects, as which account. */
  busConnection(): Pick<
    MqttBusOptions,
    'url' | 'username' | 'password' | 'clientId' | 'sharedGroup' | 'protocolVersion' | 'limits'
  >;
  /** The address gateways are told at enrollment. */
  gatewayUrl(requestHost: string): string;
  provisionGateway(gatewayId: string, password: string): Promise<void>;
  /** Keeps the credentials but refuses connects (pending approval). */
  suspendGateway(gatewayId: string): Promise<void>;
  resumeGateway(gatewayId: string): Promise<void>;
  /** Refuses future connects and closes the live session at once. */
  revokeGateway(gatewayId: string): Promise<void>;
  health(): Promise<Record<string, unknown>>;
}

export const BROKER_RUNTIME = Symbol('BROKER_RUNTIME');
