import { SerialLinkError } from './serial-link-error.js';

interface Waiter {
  length: number;
  resolve: (bytes: Uint8Array) => void;
  reject: (err: Error) => void;
}

/** Bytes received but not yet read, and the one reader waiting for them. */
export class RxBuffer {
  private buf = Buffer.alloc(0);
  private waiter: Waiter | undefined;

  push(chunk: Uint8Array): void {
    this.buf = Buffer.concat([this.buf, chunk]);
    // Bound memory if nobody reads (a chatty device): keep the newest 4 KiB.
    if (this.buf.length > 4096) this.buf = this.buf.subarray(this.buf.length - 4096);
    this.serve();
  }

  take(length: number, signal: AbortSignal): Promise<Uint8Array> {
    if (this.waiter)
      return Promise.reject(new SerialLinkError('INVALID', 'a read is already in progress'));
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        this.waiter = undefined;
        reject(new SerialLinkError('ABORTED', 'read aborted'));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiter = {
        length,
        resolve: (b) => {
          signal.removeEventListener('abort', onAbort);
          resolve(b);
        },
        reject: (e) => {
          signal.removeEventListener('abort', onAbort);
          reject(e);
        },
      };
      this.serve();
    });
  }

  fail(err: Error): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.reject(err);
  }

  clear(): void {
    this.buf = Buffer.alloc(0);
  }

  private serve(): void {
    const w = this.waiter;
    if (!w || this.buf.length < w.length) return;
    const out = Uint8Array.from(this.buf.subarray(0, w.length));
    this.buf = this.buf.subarray(w.length);
    this.waiter = undefined;
    w.resolve(out);
  }
}
