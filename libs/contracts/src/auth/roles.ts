/** Roles a user holds inside a tenant, from most to least powerful. */
export const ROLES = ['admin', 'release-manager', 'operator', 'technician', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}
