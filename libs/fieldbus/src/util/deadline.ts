import { ModbusError } from '../modbus/modbus-error.js';

/** Every I/O call carries one: a per-call budget, and optionally the caller's abort signal. */
export interface Deadline {
  timeoutMs: number;
  signal?: AbortSignal;
}

/**
 * Runs `work` and rejects with `onTimeout()` once `timeoutMs` passes or `signal` aborts,
 * whichever comes first. The work itself gets a signal that aborts at the same moment so it can
 * release what it holds.
 */
export async function withDeadline<T>(
  deadline: Deadline,
  what: string,
  work: (signal: AbortSignal) => Promise<T>,
  onTimeout: () => Error = () =>
    new ModbusError('TIMEOUT', `${what}: no reply within ${deadline.timeoutMs} ms`),
): Promise<T> {
  const controller = new AbortController();
  if (deadline.signal?.aborted) {
    throw new ModbusError('ABORTED', `${what}: aborted`);
  }
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const finish = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      deadline.signal?.removeEventListener('abort', onAbort);
      fn();
    };
    const timer = setTimeout(
      () => {
        controller.abort();
        finish(() => {
          reject(onTimeout());
        });
      },
      Math.max(0, deadline.timeoutMs),
    );
    const onAbort = (): void => {
      controller.abort();
      finish(() => {
        reject(new ModbusError('ABORTED', `${what}: aborted`));
      });
    };
    deadline.signal?.addEventListener('abort', onAbort, { once: true });
    work(controller.signal).then(
      (value) => {
        finish(() => {
          resolve(value);
        });
      },
      (err: unknown) => {
        finish(() => {
          reject(err instanceof Error ? err : new Error(String(err)));
        });
      },
    );
  });
}

/** A sleep that ends early (rejecting) when the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new ModbusError('ABORTED', 'sleep aborted'));
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new ModbusError('ABORTED', 'sleep aborted'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
