/** The BrokerAccessControl of whichever broker gateways use (embedded or Mosquitto). */
export const BROKER_ACCESS = Symbol('BROKER_ACCESS');

/** Where gateways reach the broker, as told to them at enrollment. */
export interface BrokerEndpoint {
  gatewayUrl(requestHost: string): string;
}
export const BROKER_ENDPOINT = Symbol('BROKER_ENDPOINT');
