import type { Principal, Role } from '../api/api-types.js';

/**
 * What the console offers each role, mirroring the routes' access declarations
 * (docs/access-matrix.md). Hiding a control is a courtesy: the API refuses regardless.
 */
export const CAPABILITIES = {
  'site.manage': ['admin'],
  'gateway.provision': ['admin', 'technician'],
  'gateway.revoke': ['admin'],
  'device.manage': ['admin', 'technician'],
  'audit.read': ['admin'],
  'command.send': ['admin', 'operator'],
  'firmware.manage': ['admin', 'release-manager'],
} as const satisfies Record<string, readonly Role[]>;

export type Capability = keyof typeof CAPABILITIES;

/** Platform administrators act as admin in any tenant. */
export function can(principal: Principal | null, capability: Capability): boolean {
  if (!principal) return false;
  if (principal.platformAdmin) return true;
  return (CAPABILITIES[capability] as readonly Role[]).includes(principal.role);
}
