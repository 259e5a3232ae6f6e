/**
 * Base of every typed error a service throws. The code is stable and machine-readable
 * (`GATEWAY_NOT_FOUND`, `ROLLOUT_GATEWAY_OFFLINE`); the kind decides how an edge reports it
 * (the HTTP layer maps kinds to status codes in one place; workers and the agent log them as they are).
 */
export type ErrorKind =
  | 'invalid'
  | 'unauthenticated'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'gone'
  | 'too_large'
  | 'rate_limited'
  | 'unavailable'
  | 'internal';

export interface FieldProblem {
  /** Dotted path of the offending field, e.g. `location.latitude` or `params.level`. */
  field: string;
  reason: string;
}

export class DomainError extends Error {
  constructor(
    readonly kind: ErrorKind,
    readonly code: string,
    message: string,
    readonly details?: Readonly<Record<string, unknown>>,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Bad input, naming each field and why. */
export class InvalidInputError extends DomainError {
  constructor(
    code: string,
    readonly problems: readonly FieldProblem[],
    message = problems.map((p) => `${p.field}: ${p.reason}`).join('; '),
  ) {
    super('invalid', code, message, { problems });
  }
}

export class NotFoundError extends DomainError {
  constructor(code: string, message: string, details?: Readonly<Record<string, unknown>>) {
    super('not_found', code, message, details);
  }
}

export class ConflictError extends DomainError {
  constructor(code: string, message: string, details?: Readonly<Record<string, unknown>>) {
    super('conflict', code, message, details);
  }
}

export class ForbiddenError extends DomainError {
  constructor(code: string, message: string, details?: Readonly<Record<string, unknown>>) {
    super('forbidden', code, message, details);
  }
}

export class UnauthenticatedError extends DomainError {
  constructor(code: string, message: string, details?: Readonly<Record<string, unknown>>) {
    super('unauthenticated', code, message, details);
  }
}

export class RateLimitedError extends DomainError {
  constructor(
    code: string,
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super('rate_limited', code, message, { retryAfterSeconds });
  }
}

export class UnavailableError extends DomainError {
  constructor(code: string, message: string) {
    super('unavailable', code, message);
  }
}

/** The thing existed but is no longer usable (an expired claim code, a recalled release). */
export class GoneError extends DomainError {
  constructor(code: string, message: string, details?: Readonly<Record<string, unknown>>) {
    super('gone', code, message, details);
  }
}
