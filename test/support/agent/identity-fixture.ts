// Writes the identity.json that `gateway-agent enroll` would have stored, for runtime tests.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface IdentityFixture {
  gatewayId: string;
  password: string;
  brokerUrl: string;
  lifecycle?: 'pending' | 'active';
}

export function writeIdentity(stateDir: string, fixture: IdentityFixture): void {
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const identity = {
    v: 1,
    gatewayId: fixture.gatewayId,
    tenantId: 'tenant-test',
    siteId: 'site-test',
    lifecycle: fixture.lifecycle ?? 'active',
    mqtt: {
      url: fixture.brokerUrl,
      username: fixture.gatewayId,
      password: fixture.password,
      clientId: fixture.gatewayId,
    },
    server: 'http://127.0.0.1:1',
    enrolledAt: new Date().toISOString(),
    device: { serialNumber: 'test-serial', model: 'linux-x64', hardwareRevision: 'unknown' },
  };
  writeFileSync(join(stateDir, 'identity.json'), JSON.stringify(identity), { mode: 0o600 });
}
