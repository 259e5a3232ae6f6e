import {
  applyDecorators,
  createParamDecorator,
  SetMetadata,
  type ExecutionContext,
} from '@nestjs/common';
import { ROLES, type Role } from '@fleet/contracts';
import type { FastifyRequest } from 'fastify';
import { ForbiddenError } from '@fleet/common';
import type { Principal, Scope } from './principal.js';

export const ACCESS_METADATA = 'fleet:access';

/**
 * How a route is reached. Every route declares one; a route without a declaration is refused
 * (deny by default) and a test fails the build.
 */
export type AccessRule =
  | { kind: 'public' }
  | { kind: 'roles'; roles: readonly Role[]; tenantScoped: boolean }
  | { kind: 'platform' };

/** No token needed (health, docs, login, enrollment). */
export const Public = (): MethodDecorator & ClassDecorator =>
  SetMetadata(ACCESS_METADATA, { kind: 'public' } satisfies AccessRule);

/** Tenant users holding one of these roles; platform admins act as admin in any tenant. */
export const AllowRoles = (...roles: Role[]): MethodDecorator & ClassDecorator =>
  SetMetadata(ACCESS_METADATA, { kind: 'roles', roles, tenantScoped: true } satisfies AccessRule);

/** Any signed-in user, every role. */
export const AnyRole = (): MethodDecorator & ClassDecorator =>
  SetMetadata(ACCESS_METADATA, {
    kind: 'roles',
    roles: ROLES,
    tenantScoped: true,
  } satisfies AccessRule);

/** Any signed-in user, and the route does not need a tenant (own profile, own tokens). */
export const AnyUser = (): MethodDecorator & ClassDecorator =>
  SetMetadata(ACCESS_METADATA, {
    kind: 'roles',
    roles: ROLES,
    tenantScoped: false,
  } satisfies AccessRule);

/** Platform administrators only (tenants). */
export const PlatformOnly = (): MethodDecorator & ClassDecorator =>
  SetMetadata(ACCESS_METADATA, { kind: 'platform' } satisfies AccessRule);

export const AUDIT_METADATA = 'fleet:audit';
export interface AuditMeta {
  action: string;
  targetType: string;
}
/** Names the audit action of a mutating route, e.g. `site.create`. */
export const Audited = (action: string, targetType: string): MethodDecorator =>
  applyDecorators(SetMetadata(AUDIT_METADATA, { action, targetType } satisfies AuditMeta));

/** The caller, as resolved by the auth guard. */
export const CurrentPrincipal = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): Principal => {
    const principal = ctx.switchToHttp().getRequest<FastifyRequest>().fleet.principal;
    if (!principal) throw new ForbiddenError('NO_PRINCIPAL', 'this route needs a signed-in user');
    return principal;
  },
);

/** The tenant (and site subset) the caller acts in. */
export const CurrentScope = createParamDecorator((_: unknown, ctx: ExecutionContext): Scope => {
  const scope = ctx.switchToHttp().getRequest<FastifyRequest>().fleet.scope;
  if (!scope) throw new ForbiddenError('NO_SCOPE', 'this route needs a tenant');
  return scope;
});
