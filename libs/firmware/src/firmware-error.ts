import { DomainError, type ErrorKind, type FieldProblem } from '@fleet/common';

/** Every failure the firmware library reports, by code, so callers can map it (HTTP, deployment state). */
export const FirmwareErrorCode = {
  INVALID_MANIFEST: 'INVALID_MANIFEST',
  INVALID_KEY: 'INVALID_KEY',
  UNKNOWN_KEY: 'UNKNOWN_KEY',
  REVOKED_KEY: 'REVOKED_KEY',
  BAD_SIGNATURE: 'BAD_SIGNATURE',
  WRONG_KIND: 'WRONG_KIND',
  WRONG_MODEL: 'WRONG_MODEL',
  WRONG_HARDWARE: 'WRONG_HARDWARE',
  BELOW_MIN_VERSION: 'BELOW_MIN_VERSION',
  DOWNGRADE: 'DOWNGRADE',
  SAME_VERSION: 'SAME_VERSION',
  SIZE_MISMATCH: 'SIZE_MISMATCH',
  HASH_MISMATCH: 'HASH_MISMATCH',
  DOWNLOAD_REJECTED: 'DOWNLOAD_REJECTED',
  DOWNLOAD_FAILED: 'DOWNLOAD_FAILED',
  DOWNLOAD_ABORTED: 'DOWNLOAD_ABORTED',
  INVALID_BUNDLE: 'INVALID_BUNDLE',
  UNSAFE_BUNDLE: 'UNSAFE_BUNDLE',
  INSTALL_IN_PROGRESS: 'INSTALL_IN_PROGRESS',
  NO_TRIAL: 'NO_TRIAL',
  NOT_TRIAL_SLOT: 'NOT_TRIAL_SLOT',
  NO_BOOTABLE_SLOT: 'NO_BOOTABLE_SLOT',
  STATE_CORRUPT: 'STATE_CORRUPT',
  COMMAND_FAILED: 'COMMAND_FAILED',
  COMMAND_TIMEOUT: 'COMMAND_TIMEOUT',
  RAUC_STATUS_INVALID: 'RAUC_STATUS_INVALID',
  IO_TIMEOUT: 'IO_TIMEOUT',
  INVALID_ARGUMENT: 'INVALID_ARGUMENT',
} as const;
export type FirmwareErrorCode = (typeof FirmwareErrorCode)[keyof typeof FirmwareErrorCode];

/** One failing field of a manifest, envelope, bundle descriptor or state file (dotted path + reason). */
export type FieldIssue = FieldProblem;

export interface FirmwareErrorDetails {
  readonly issues?: readonly FieldIssue[];
  /** HTTP status of a rejected download. */
  readonly status?: number;
  readonly [key: string]: unknown;
}

const KIND: Record<FirmwareErrorCode, ErrorKind> = {
  INVALID_MANIFEST: 'invalid',
  INVALID_KEY: 'invalid',
  UNKNOWN_KEY: 'invalid',
  REVOKED_KEY: 'invalid',
  BAD_SIGNATURE: 'invalid',
  WRONG_KIND: 'invalid',
  WRONG_MODEL: 'invalid',
  WRONG_HARDWARE: 'invalid',
  BELOW_MIN_VERSION: 'conflict',
  DOWNGRADE: 'conflict',
  SAME_VERSION: 'conflict',
  SIZE_MISMATCH: 'invalid',
  HASH_MISMATCH: 'invalid',
  DOWNLOAD_REJECTED: 'unavailable',
  DOWNLOAD_FAILED: 'unavailable',
  DOWNLOAD_ABORTED: 'unavailable',
  INVALID_BUNDLE: 'invalid',
  UNSAFE_BUNDLE: 'invalid',
  INSTALL_IN_PROGRESS: 'conflict',
  NO_TRIAL: 'conflict',
  NOT_TRIAL_SLOT: 'conflict',
  NO_BOOTABLE_SLOT: 'internal',
  STATE_CORRUPT: 'internal',
  COMMAND_FAILED: 'internal',
  COMMAND_TIMEOUT: 'unavailable',
  RAUC_STATUS_INVALID: 'internal',
  IO_TIMEOUT: 'unavailable',
  INVALID_ARGUMENT: 'invalid',
};

/** The library's one domain error: a code for programs, a message naming the field and reason for people. */
export class FirmwareError extends DomainError {
  declare readonly code: FirmwareErrorCode;
  declare readonly details: FirmwareErrorDetails;

  constructor(
    code: FirmwareErrorCode,
    message: string,
    details: FirmwareErrorDetails = {},
    options?: { cause?: unknown },
  ) {
    super(KIND[code], code, message, details);
    if (options?.cause !== undefined) this.cause = options.cause;
  }

  static is(error: unknown, code?: FirmwareErrorCode): error is FirmwareError {
    return error instanceof FirmwareError && (code === undefined || error.code === code);
  }

  /** One error listing every bad field at once ("version: must be ...; sha256: must be ..."). */
  static fromIssues(
    code: FirmwareErrorCode,
    what: string,
    issues: readonly FieldIssue[],
  ): FirmwareError {
    const list = issues.map((i) => `${i.field}: ${i.reason}`).join('; ');
    return new FirmwareError(code, `${what}: ${list}`, { issues });
  }
}
