export type PelcoDFrameErrorCode =
  'BAD_LENGTH' | 'BAD_SYNC' | 'BAD_CHECKSUM' | 'BAD_FIELD' | 'NOT_A_REPLY';

/** A Pelco-D frame is malformed or a field is out of its byte range. */
export class PelcoDFrameError extends Error {
  constructor(
    readonly code: PelcoDFrameErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'PelcoDFrameError';
  }
}
