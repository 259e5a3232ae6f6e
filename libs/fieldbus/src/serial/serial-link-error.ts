export type SerialLinkErrorCode =
  'PORT_NOT_FOUND' | 'OPEN_FAILED' | 'DISCONNECTED' | 'TIMEOUT' | 'ABORTED' | 'INVALID';

export class SerialLinkError extends Error {
  override readonly name = 'SerialLinkError';

  constructor(
    readonly code: SerialLinkErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** Worth retrying: the port may come back (re-plugged) or the reply may still come. */
  get transient(): boolean {
    return this.code === 'OPEN_FAILED' || this.code === 'DISCONNECTED' || this.code === 'TIMEOUT';
  }

  /** No answer, or no port to ask through (an unplugged adapter): counts against the device. */
  get deviceSilent(): boolean {
    return (
      this.code === 'TIMEOUT' || this.code === 'DISCONNECTED' || this.code === 'PORT_NOT_FOUND'
    );
  }
}
