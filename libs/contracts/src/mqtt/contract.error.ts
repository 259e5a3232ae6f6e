import { DomainError } from '@fleet/common';
import type { ValidationIssue } from './message-parts.js';

export type ContractErrorCode = 'INVALID_MESSAGE' | 'OVERSIZE' | 'INVALID_TOPIC';

/** Thrown by the encoders when internal code tries to send something the contract forbids. */
export class ContractError extends DomainError {
  declare readonly code: ContractErrorCode;

  constructor(
    code: ContractErrorCode,
    message: string,
    readonly issues: readonly ValidationIssue[] = [],
  ) {
    super(code === 'OVERSIZE' ? 'too_large' : 'invalid', code, message, { issues });
  }
}
