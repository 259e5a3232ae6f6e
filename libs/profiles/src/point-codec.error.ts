export type PointCodecErrorCode =
  'WRONG_LENGTH' | 'WRONG_TYPE' | 'OUT_OF_RANGE' | 'UNKNOWN_LABEL' | 'NOT_ENCODABLE';

/** A value could not be decoded from, or encoded into, the registers of a point. */
export class PointCodecError extends Error {
  constructor(
    readonly code: PointCodecErrorCode,
    readonly point: string,
    reason: string,
  ) {
    super(`${point}: ${reason}`);
    this.name = 'PointCodecError';
  }
}
