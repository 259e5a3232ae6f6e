/** Who a gateway is, once its MQTT credentials checked out. */
export interface GatewayIdentity {
  gatewayId: string;
  tenantId: string;
}

/**
 * Checks a gateway's MQTT credentials against the registry (implemented by the control plane's
 * registry/auth services). Returns null for unknown, wrong or revoked credentials; throws only when
 * it cannot tell (database down), which the broker answers with "server unavailable".
 */
export interface GatewayAuthenticator {
  authenticate(username: string, password: string): Promise<GatewayIdentity | null>;
}
