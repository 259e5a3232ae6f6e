import { DomainError, type ErrorKind, type FieldProblem } from '@fleet/common';

export type SimulatorErrorCode =
  | 'INVALID_OPTIONS'
  | 'STATE_FILE_INVALID'
  | 'STATE_FILE_MISMATCH'
  | 'API_ERROR'
  | 'API_UNREACHABLE'
  | 'SITE_NOT_FOUND'
  | 'ENROLLMENT_FAILED';

/** What the simulator reports when it cannot go on: a stable code and, for bad input, each field. */
export class SimulatorError extends DomainError {
  declare readonly code: SimulatorErrorCode;

  constructor(
    code: SimulatorErrorCode,
    message: string,
    readonly problems: readonly FieldProblem[] = [],
    kind: ErrorKind = code === 'INVALID_OPTIONS' || code === 'STATE_FILE_INVALID'
      ? 'invalid'
      : 'unavailable',
  ) {
    super(kind, code, message, problems.length > 0 ? { problems } : undefined);
  }

  static invalidOptions(problems: readonly FieldProblem[]): SimulatorError {
    return new SimulatorError(
      'INVALID_OPTIONS',
      `invalid options:\n${problems.map((p) => `  ${p.field}: ${p.reason}`).join('\n')}`,
      problems,
    );
  }
}
