import { DomainError } from '@fleet/common';

/** Upload failures that are not about the manifest: size, stalls, aborted transfers. */
export class ArtifactTransferError extends DomainError {
  constructor(
    code: 'ARTIFACT_TOO_LARGE' | 'UPLOAD_STALLED' | 'UPLOAD_TIMEOUT' | 'UPLOAD_ABORTED',
    message: string,
    details?: Readonly<Record<string, unknown>>,
  ) {
    super(code === 'ARTIFACT_TOO_LARGE' ? 'too_large' : 'invalid', code, message, details);
  }
}
