import type { Role } from '@fleet/contracts';

/** Who is calling, resolved from the bearer token by the auth guard. */
export interface Principal {
  userId: string;
  tokenId: string;
  username: string;
  role: Role;
  platformAdmin: boolean;
  /** The user's own tenant; null for platform admins. */
  homeTenantId: string | null;
  /** Sites the user is limited to inside the tenant; null = every site. */
  siteIds: readonly string[] | null;
}

/** What a tenant-scoped query may see: one tenant, optionally a subset of its sites. */
export interface Scope {
  tenantId: string;
  siteIds: readonly string[] | null;
}

/** Per-request context the guard, interceptors and the audit hook share on the Fastify request. */
export interface RequestContext {
  principal?: Principal;
  scope?: Scope;
  auditAction?: string;
  auditTargetType?: string;
  auditTargetId?: string;
  /** For public routes (enrollment): the tenant the request turned out to concern. */
  auditTenantId?: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    fleet: RequestContext;
  }
}
