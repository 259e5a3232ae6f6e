import { DomainError, type ErrorKind } from '@fleet/common';

export type ConnectivityErrorCode =
  | 'BUFFER_CLOSED'
  | 'RECORD_TOO_LARGE'
  | 'INVALID_OPTIONS'
  | 'INVALID_EXECUTION_ID'
  | 'SESSION_STOPPED'
  | 'NOT_CONNECTED'
  | 'STATE_IO_FAILED';

const KIND: Readonly<Record<ConnectivityErrorCode, ErrorKind>> = {
  BUFFER_CLOSED: 'unavailable',
  RECORD_TOO_LARGE: 'too_large',
  INVALID_OPTIONS: 'invalid',
  INVALID_EXECUTION_ID: 'invalid',
  SESSION_STOPPED: 'unavailable',
  NOT_CONNECTED: 'unavailable',
  STATE_IO_FAILED: 'internal',
};

/** Errors of the agent's connectivity layer (MQTT session, outbox, execution dedupe). */
export class ConnectivityError extends DomainError {
  declare readonly code: ConnectivityErrorCode;

  constructor(
    code: ConnectivityErrorCode,
    message: string,
    details?: Readonly<Record<string, unknown>>,
  ) {
    super(KIND[code], code, message, details);
  }
}
