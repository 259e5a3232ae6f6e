import { DomainError, type ErrorKind } from '@fleet/common';

export type AgentErrorCode =
  | 'CONFIG_INVALID'
  | 'STATE_DIR_UNUSABLE'
  | 'NOT_ENROLLED'
  | 'IDENTITY_INVALID'
  | 'IDENTITY_EXISTS'
  | 'SERIAL_UNKNOWN'
  | 'CLAIM_FORMAT'
  | 'SERVER_URL_INVALID'
  | 'ENROLLMENT_INVALID'
  | 'ENROLLMENT_REFUSED'
  | 'RATE_LIMITED'
  | 'SERVER_UNREACHABLE'
  | 'SERVER_ERROR'
  | 'BAD_RESPONSE'
  | 'ALREADY_RUNNING'
  | 'NOT_RUNNING';

/** Process exit codes: 2 usage/config, 1 refused or failed, 75 (EX_TEMPFAIL) try again later, 3 not running (LSB status). */
const SPEC: Readonly<Record<AgentErrorCode, { kind: ErrorKind; exitCode: number }>> = {
  CONFIG_INVALID: { kind: 'invalid', exitCode: 2 },
  STATE_DIR_UNUSABLE: { kind: 'invalid', exitCode: 2 },
  NOT_ENROLLED: { kind: 'not_found', exitCode: 2 },
  IDENTITY_INVALID: { kind: 'invalid', exitCode: 2 },
  IDENTITY_EXISTS: { kind: 'conflict', exitCode: 1 },
  SERIAL_UNKNOWN: { kind: 'invalid', exitCode: 2 },
  CLAIM_FORMAT: { kind: 'invalid', exitCode: 2 },
  SERVER_URL_INVALID: { kind: 'invalid', exitCode: 2 },
  ENROLLMENT_INVALID: { kind: 'invalid', exitCode: 1 },
  ENROLLMENT_REFUSED: { kind: 'forbidden', exitCode: 1 },
  RATE_LIMITED: { kind: 'rate_limited', exitCode: 75 },
  SERVER_UNREACHABLE: { kind: 'unavailable', exitCode: 75 },
  SERVER_ERROR: { kind: 'unavailable', exitCode: 75 },
  BAD_RESPONSE: { kind: 'internal', exitCode: 1 },
  ALREADY_RUNNING: { kind: 'conflict', exitCode: 1 },
  NOT_RUNNING: { kind: 'unavailable', exitCode: 3 },
};

/** A failure of the agent's own commands (enroll, run, status), with the exit code it ends in. */
export class AgentError extends DomainError {
  declare readonly code: AgentErrorCode;
  readonly exitCode: number;

  constructor(code: AgentErrorCode, message: string, details?: Readonly<Record<string, unknown>>) {
    super(SPEC[code].kind, code, message, details);
    this.exitCode = SPEC[code].exitCode;
  }
}
