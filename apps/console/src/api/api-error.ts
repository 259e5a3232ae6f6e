import type { ApiErrorBody } from './api-types.js';

export interface FieldProblem {
  field: string;
  reason: string;
}

/** A failed API call: the control plane's error code and message, or a network/timeout failure. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly problems: readonly FieldProblem[] = [],
    readonly requestId?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  static fromBody(status: number, body: unknown): ApiError {
    if (isErrorBody(body)) {
      return new ApiError(status, body.code, body.message, body.errors ?? [], body.requestId);
    }
    return new ApiError(status, `HTTP_${status}`, `the server answered ${status}`);
  }

  /** The reason given for one field, if the server named it. */
  problemFor(field: string): string | undefined {
    return this.problems.find((p) => p.field === field || p.field.startsWith(`${field}.`))?.reason;
  }
}

function isErrorBody(body: unknown): body is ApiErrorBody {
  return (
    typeof body === 'object' &&
    body !== null &&
    typeof (body as { code?: unknown }).code === 'string' &&
    typeof (body as { message?: unknown }).message === 'string'
  );
}
