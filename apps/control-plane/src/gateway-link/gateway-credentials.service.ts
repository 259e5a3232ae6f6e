import { Injectable } from '@nestjs/common';
import { timingSafeEqual } from 'node:crypto';
import type { GatewayAuthenticator, GatewayIdentity } from '../mqtt/gateway-authenticator.port.js';
import { hashGatewaySecret } from '../provisioning/provisioning-secrets.js';
import { GatewayLinkRepository } from './gateway-link.repository.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** Reconnect storms ask the same thing thousands of times; a short positive cache spares Postgres. */
const CACHE_MS = 30_000;

/** Checks gateway MQTT logins against the registry: known gateway, matching secret, active lifecycle. */
@Injectable()
export class GatewayCredentialsService implements GatewayAuthenticator {
  private readonly cache = new Map<
    string,
    { secretHash: string; identity: GatewayIdentity; until: number }
  >();

  constructor(private readonly repo: GatewayLinkRepository) {}

  async authenticate(username: string, password: string): Promise<GatewayIdentity | null> {
    if (!UUID.test(username) || password.length < 16 || password.length > 256) return null;
    const hash = hashGatewaySecret(password);
    const cached = this.cache.get(username);
    if (cached && cached.until > Date.now() && equal(cached.secretHash, hash))
      return cached.identity;
    const row = await this.repo.findCredential(username);
    if (!row || row.lifecycle !== 'active' || !equal(row.secretHash, hash)) {
      this.cache.delete(username);
      return null;
    }
    const identity = { gatewayId: username, tenantId: row.tenantId };
    this.cache.set(username, {
      secretHash: row.secretHash,
      identity,
      until: Date.now() + CACHE_MS,
    });
    return identity;
  }

  /** Drops a cached login at once (revocation, rotation). */
  forget(gatewayId: string): void {
    this.cache.delete(gatewayId);
  }
}

function equal(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
