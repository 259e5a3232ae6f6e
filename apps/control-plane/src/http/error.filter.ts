import {
  Catch,
  HttpException,
  Logger,
  type ArgumentsHost,
  type ExceptionFilter,
} from '@nestjs/common';
import { DomainError, InvalidInputError, RateLimitedError, type ErrorKind } from '@fleet/common';
import { SelectorSyntaxError } from '@fleet/contracts';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { isDatabaseUnavailable } from '../database/database-errors.js';

const STATUS_BY_KIND: Record<ErrorKind, number> = {
  invalid: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  gone: 410,
  too_large: 413,
  rate_limited: 429,
  unavailable: 503,
  internal: 500,
};

const BODY_TOO_LARGE = 'request body is larger than the configured limit (BODY_LIMIT_BYTES)';

export interface ErrorBody {
  statusCode: number;
  code: string;
  message: string;
  errors?: readonly { field: string; reason: string }[];
  requestId: string;
  /** For /health/ready: each dependency's state. */
  health?: object;
}

/** Fastify's own 4xx errors (bad JSON, body too large, wrong content type). */
function fastifyClientError(
  error: unknown,
): { status: number; code: string; message: string } | undefined {
  if (!(error instanceof Error)) return undefined;
  const { statusCode, code } = error as { statusCode?: unknown; code?: unknown };
  if (
    typeof statusCode === 'number' &&
    statusCode >= 400 &&
    statusCode < 500 &&
    typeof code === 'string'
  ) {
    return { status: statusCode, code, message: error.message };
  }
  return undefined;
}

/** The one place where errors become HTTP answers. Unknown errors are a 500, logged once. */
@Catch()
export class ErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('HTTP');

  catch(error: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    this.reply(error, ctx.getRequest<FastifyRequest>(), ctx.getResponse<FastifyReply>());
  }

  /**
   * Also installed as Fastify's error handler, for errors raised before a route handler runs
   * (body too large, unparseable JSON), so every error has the same shape.
   */
  reply(error: unknown, request: FastifyRequest, reply: FastifyReply): void {
    const body = this.toBody(error, request);
    const tenantId = error instanceof DomainError ? error.details?.tenantId : undefined;
    if (typeof tenantId === 'string') request.fleet.auditTenantId = tenantId;
    if (error instanceof RateLimitedError)
      void reply.header('retry-after', String(error.retryAfterSeconds));
    void reply.status(body.statusCode).send(body);
  }

  private toBody(error: unknown, request: FastifyRequest): ErrorBody {
    const requestId = request.id;
    if (error instanceof InvalidInputError) {
      return {
        statusCode: 400,
        code: error.code,
        message: error.message,
        errors: error.problems,
        requestId,
      };
    }
    if (error instanceof SelectorSyntaxError) {
      return {
        statusCode: 400,
        code: error.code,
        message: error.message,
        errors: [{ field: 'selector', reason: `${error.reason} (at ${error.position})` }],
        requestId,
      };
    }
    if (error instanceof DomainError) {
      const statusCode = STATUS_BY_KIND[error.kind];
      if (statusCode >= 500) this.logger.error({ err: error, requestId }, error.message);
      return { statusCode, code: error.code, message: error.message, requestId };
    }
    if (error instanceof HttpException) {
      const statusCode = error.getStatus();
      const code =
        statusCode === 404
          ? 'ROUTE_NOT_FOUND'
          : statusCode === 413
            ? 'BODY_TOO_LARGE'
            : `HTTP_${statusCode}`;
      const message = statusCode === 413 ? BODY_TOO_LARGE : error.message;
      // Health checks answer 503 with what is down: keep that detail for operators.
      const response = error.getResponse();
      const details = typeof response === 'object' && 'details' in response ? response : undefined;
      return { statusCode, code, message, requestId, ...(details ? { health: details } : {}) };
    }
    const client = fastifyClientError(error);
    if (client) {
      const message =
        client.code === 'FST_ERR_CTP_BODY_TOO_LARGE' ? BODY_TOO_LARGE : client.message;
      return { statusCode: client.status, code: client.code, message, requestId };
    }
    if (isDatabaseUnavailable(error)) {
      this.logger.error({ err: error, requestId }, 'database unavailable');
      return {
        statusCode: 503,
        code: 'DATABASE_UNAVAILABLE',
        message: 'the database is unavailable; nothing was changed, retry shortly',
        requestId,
      };
    }
    this.logger.error({ err: error, requestId }, 'unhandled error');
    return { statusCode: 500, code: 'INTERNAL', message: 'internal error', requestId };
  }
}
