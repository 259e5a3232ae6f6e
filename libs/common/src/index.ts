export { packageRoot } from './package-root.js';
export {
  ConflictError,
  DomainError,
  ForbiddenError,
  GoneError,
  InvalidInputError,
  NotFoundError,
  RateLimitedError,
  UnauthenticatedError,
  UnavailableError,
  type ErrorKind,
  type FieldProblem,
} from './domain-error.js';
export { createUuidV7Generator, uuidv7, UUID_PATTERN } from './uuid-v7.js';
export { DeadlineExceededError, withDeadline } from './deadline.js';
