export type GpioErrorCode =
  'GPIO_UNAVAILABLE' | 'CHIP_NOT_FOUND' | 'LINE_NOT_FOUND' | 'INVALID_LINE' | 'IO' | 'CLOSED';

export class GpioError extends Error {
  override readonly name = 'GpioError';

  constructor(
    readonly code: GpioErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  get transient(): boolean {
    return false;
  }
}
