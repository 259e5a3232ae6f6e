import { DomainError, type ErrorKind } from '@fleet/common';

/**
 * Why the agent refused or gave up a deployment, beyond the firmware library's own codes
 * (UNKNOWN_KEY, HASH_MISMATCH, DOWNGRADE, ...), which are reported as they are.
 */
export type OtaErrorCode =
  | 'NO_RELEASE_KEYS'
  | 'RELEASE_KEYS_INVALID'
  | 'NOT_SUPERVISED'
  | 'INSTALLER_UNAVAILABLE'
  | 'WRONG_KIND'
  | 'BUSY'
  | 'DOWNLOAD_TIMEOUT'
  | 'INSTALL_TIMEOUT'
  | 'URL_REFRESH_TIMEOUT'
  | 'INSTALL_INTERRUPTED'
  | 'INSTALL_FAILED'
  | 'TRIAL_LOST'
  | 'TRIAL_FAILED'
  | 'HEALTH_CHECK_FAILED'
  | 'DEPENDENCY_MISMATCH'
  | 'CANCEL_TOO_LATE'
  | 'JOURNAL_UNUSABLE';

const KIND: Readonly<Record<OtaErrorCode, ErrorKind>> = {
  NO_RELEASE_KEYS: 'forbidden',
  RELEASE_KEYS_INVALID: 'invalid',
  NOT_SUPERVISED: 'unavailable',
  INSTALLER_UNAVAILABLE: 'unavailable',
  WRONG_KIND: 'invalid',
  BUSY: 'conflict',
  DOWNLOAD_TIMEOUT: 'unavailable',
  INSTALL_TIMEOUT: 'unavailable',
  URL_REFRESH_TIMEOUT: 'unavailable',
  INSTALL_INTERRUPTED: 'internal',
  INSTALL_FAILED: 'internal',
  TRIAL_LOST: 'internal',
  TRIAL_FAILED: 'unavailable',
  HEALTH_CHECK_FAILED: 'unavailable',
  DEPENDENCY_MISMATCH: 'invalid',
  CANCEL_TOO_LATE: 'conflict',
  JOURNAL_UNUSABLE: 'internal',
};

/** A failure of the agent's OTA flow, with a stable code reported in `ota/status`. */
export class OtaError extends DomainError {
  declare readonly code: OtaErrorCode;

  constructor(code: OtaErrorCode, message: string, details?: Readonly<Record<string, unknown>>) {
    super(KIND[code], code, message, details);
  }
}
