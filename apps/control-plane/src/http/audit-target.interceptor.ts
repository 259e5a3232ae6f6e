import {
  Injectable,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { tap, type Observable } from 'rxjs';

/** Records which resource a mutating request touched: the path id, or the id of what it created. */
@Injectable()
export class AuditTargetInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const params = (request.params ?? {}) as Record<string, string | undefined>;
    const fromPath = params.id ?? params.siteId ?? params.tenantId;
    if (fromPath) request.fleet.auditTargetId = fromPath;
    return next.handle().pipe(
      tap((result: unknown) => {
        if (typeof result !== 'object' || result === null) return;
        const { id, gatewayId, tenantId } = result as {
          id?: unknown;
          gatewayId?: unknown;
          tenantId?: unknown;
        };
        const created = id ?? gatewayId;
        if (
          !request.fleet.auditTargetId &&
          (typeof created === 'string' || typeof created === 'number')
        ) {
          request.fleet.auditTargetId = String(created);
        }
        if (typeof tenantId === 'string') request.fleet.auditTenantId = tenantId;
      }),
    );
  }
}
