import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ForbiddenError, InvalidInputError, NotFoundError, RateLimitedError } from '@fleet/common';
import type { FastifyRequest } from 'fastify';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.tokens.js';
import { TenantsService } from '../tenants/tenants.service.js';
import {
  ACCESS_METADATA,
  AUDIT_METADATA,
  type AccessRule,
  type AuditMeta,
} from './access.decorators.js';
import { AuthService } from './auth.service.js';
import type { Principal, Scope } from './principal.js';
import { RATE_LIMIT_METADATA, type RateLimitMeta } from './rate-limit.decorator.js';
import { RateLimiterAdapter } from './rate-limiter.adapter.js';

export const TENANT_HEADER = 'x-tenant-id';

/**
 * Deny by default: a route without an access declaration is refused. Resolves the bearer token,
 * checks the role, resolves the tenant the caller acts in, and applies the auth rate limit.
 */
@Injectable()
export class AccessGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly auth: AuthService,
    private readonly tenants: TenantsService,
    private readonly limiter: RateLimiterAdapter,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const targets = [context.getHandler(), context.getClass()];
    const audit = this.reflector.getAllAndOverride<AuditMeta | undefined>(AUDIT_METADATA, targets);
    if (audit) {
      request.fleet.auditAction = audit.action;
      request.fleet.auditTargetType = audit.targetType;
    }

    const rate = this.reflector.get<RateLimitMeta | undefined>(
      RATE_LIMIT_METADATA,
      context.getHandler(),
    );
    if (rate) await this.applyRateLimit(rate.bucket, request.ip);

    const rule = this.reflector.getAllAndOverride<AccessRule | undefined>(ACCESS_METADATA, targets);
    if (!rule) throw new ForbiddenError('ROUTE_NOT_DECLARED', 'this route declares no access rule');
    if (rule.kind === 'public') return true;

    const principal = await this.auth.authenticate(bearer(request));
    request.fleet.principal = principal;

    if (rule.kind === 'platform') {
      if (!principal.platformAdmin) {
        throw new ForbiddenError(
          'PLATFORM_ADMIN_REQUIRED',
          'only a platform administrator may do this',
        );
      }
      return true;
    }
    if (!principal.platformAdmin && !rule.roles.includes(principal.role)) {
      throw new ForbiddenError(
        'ROLE_FORBIDDEN',
        `role ${principal.role} may not do this (allowed: ${rule.roles.join(', ')})`,
      );
    }
    if (rule.tenantScoped) request.fleet.scope = await this.resolveScope(principal, request);
    return true;
  }

  private async resolveScope(principal: Principal, request: FastifyRequest): Promise<Scope> {
    const header = request.headers[TENANT_HEADER];
    const requested = Array.isArray(header) ? header[0] : header;
    if (!principal.platformAdmin) {
      if (principal.homeTenantId === null) {
        throw new ForbiddenError('NO_TENANT', 'this user belongs to no tenant');
      }
      // A tenant user naming another tenant gets the same answer as for an unknown one.
      if (requested !== undefined && requested !== principal.homeTenantId) {
        throw new NotFoundError('TENANT_NOT_FOUND', `tenant ${requested} not found`);
      }
      return { tenantId: principal.homeTenantId, siteIds: principal.siteIds };
    }
    const tenantId = requested ?? principal.homeTenantId;
    if (!tenantId) {
      throw new InvalidInputError('TENANT_REQUIRED', [
        {
          field: `header ${TENANT_HEADER}`,
          reason: 'platform administrators name the tenant they act in',
        },
      ]);
    }
    if (!(await this.tenants.exists(tenantId))) {
      throw new NotFoundError('TENANT_NOT_FOUND', `tenant ${tenantId} not found`);
    }
    return { tenantId, siteIds: null };
  }

  private async applyRateLimit(bucket: string, ip: string): Promise<void> {
    const decision = await this.limiter.hit(
      `${bucket}:${ip}`,
      this.config.AUTH_RATE_LIMIT_PER_MINUTE,
      60_000,
    );
    if (!decision.allowed) {
      throw new RateLimitedError(
        'RATE_LIMITED',
        `too many ${bucket} attempts from this address; retry in ${decision.retryAfterSeconds} s`,
        decision.retryAfterSeconds,
      );
    }
  }
}

function bearer(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (!header) {
    // Browsers' EventSource cannot send headers: event streams may carry the token in the query.
    const accepts = request.headers.accept ?? '';
    const query = request.query as Record<string, unknown> | undefined;
    const token = query?.access_token;
    return accepts.includes('text/event-stream') && typeof token === 'string' ? token : undefined;
  }
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1] ?? '';
}
