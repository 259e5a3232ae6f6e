import type {
  GatewayAuthenticator,
  GatewayIdentity,
} from '../../../apps/control-plane/src/mqtt/gateway-authenticator.port.js';

/** The registry side of gateway authentication, held in memory for broker tests. */
export class InMemoryGatewayAuthenticator implements GatewayAuthenticator {
  private readonly gateways = new Map<
    string,
    { password: string; identity: GatewayIdentity; revoked: boolean }
  >();
  calls = 0;

  add(gatewayId: string, password: string, tenantId = 'tenant-1'): void {
    this.gateways.set(gatewayId, { password, identity: { gatewayId, tenantId }, revoked: false });
  }

  revoke(gatewayId: string): void {
    const entry = this.gateways.get(gatewayId);
    if (entry) entry.revoked = true;
  }

  authenticate(username: string, password: string): Promise<GatewayIdentity | null> {
    this.calls += 1;
    const entry = this.gateways.get(username);
    if (!entry || entry.revoked || entry.password !== password) return Promise.resolve(null);
    return Promise.resolve(entry.identity);
  }
}
