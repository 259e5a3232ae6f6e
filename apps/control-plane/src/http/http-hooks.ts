import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { AuditService } from '../audit/audit.service.js';
import type { MetricsService } from '../metrics/metrics.service.js';

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Accepts a caller's X-Request-Id when it is sane, so one id follows a call across systems. */
export function requestIdFrom(
  header: string | string[] | undefined,
  fallback: () => string,
): string {
  const value = Array.isArray(header) ? header[0] : header;
  return value !== undefined && REQUEST_ID.test(value) ? value : fallback();
}

/**
 * Cross-cutting HTTP behaviour that belongs to the transport rather than to any controller:
 * request context, request id echo, latency metrics, access log and the audit trail.
 */
export function registerHttpHooks(
  fastify: FastifyInstance,
  deps: { audit: AuditService; metrics: MetricsService; logger: Logger },
): void {
  // Fastify wants request decorations declared up front; the value is set per request below.
  fastify.decorateRequest('fleet', null as never);
  // request.ip reads the socket, which a refused upload stream may have detached by the time the
  // answer is sent (it threw, turning a 400 into a 500); read it while the request is fresh.
  const clientIps = new WeakMap<FastifyRequest, string>();
  fastify.addHook('onRequest', (request, reply, done) => {
    request.fleet = {};
    clientIps.set(request, request.ip);
    void reply.header('x-request-id', request.id);
    done();
  });

  // Audit before the answer leaves: a client that saw success can always find the entry.
  fastify.addHook('onSend', async (request: FastifyRequest, reply: FastifyReply, payload) => {
    if (!MUTATING.has(request.method) || !request.url.startsWith('/api/')) return payload;
    const ctx = request.fleet;
    await deps.audit.record({
      tenantId: ctx.scope?.tenantId ?? ctx.auditTenantId ?? ctx.principal?.homeTenantId ?? null,
      principal: ctx.principal,
      action:
        ctx.auditAction ??
        `${request.method} ${request.routeOptions.url ?? request.url.split('?')[0]}`,
      targetType: ctx.auditTargetType,
      targetId: ctx.auditTargetId,
      method: request.method,
      path: request.url.split('?')[0] ?? request.url,
      statusCode: reply.statusCode,
      requestId: request.id,
      ip: clientIps.get(request),
    });
    return payload;
  });

  fastify.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const seconds = reply.elapsedTime / 1000;
    deps.metrics.httpDuration.observe(
      { method: request.method, route, status: String(reply.statusCode) },
      seconds,
    );
    deps.logger.info(
      {
        reqId: request.id,
        method: request.method,
        route,
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime),
      },
      'request',
    );
    done();
  });
}
