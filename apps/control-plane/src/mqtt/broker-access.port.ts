/**
 * What the registry needs from whichever broker gateways use: give a gateway credentials, take
 * them away (closing its session at once), change them. Implemented for the embedded broker
 * (where the registry itself is the credential store) and for Mosquitto's dynamic security plugin.
 */
export interface BrokerAccessControl {
  provisionGateway(gatewayId: string, password: string): Promise<void>;
  /** Refuses future connects and closes a live session; idempotent. */
  revokeGateway(gatewayId: string): Promise<void>;
  /** Replaces the password and closes the live session, which reconnects with the new one. */
  rotateGatewayPassword(gatewayId: string, newPassword: string): Promise<void>;
}
