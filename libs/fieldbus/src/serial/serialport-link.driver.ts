import { SerialPort } from 'serialport';
import type { SerialLink } from './serial-link.port.js';
import { SerialLinkError } from './serial-link-error.js';
import type { SerialSettings } from './serial-settings.js';
import { RxBuffer } from './rx-buffer.js';
import { type Deadline, withDeadline } from '../util/deadline.js';

function mapOpenError(path: string, err: unknown): SerialLinkError {
  const message = err instanceof Error ? err.message : String(err);
  if (/No such file or directory|ENOENT/i.test(message)) {
    return new SerialLinkError('PORT_NOT_FOUND', `${path}: port not found (${message})`, {
      cause: err,
    });
  }
  return new SerialLinkError('OPEN_FAILED', `${path}: cannot open (${message})`, { cause: err });
}

/**
 * serialport 13 behind SerialLink. A new SerialPort object per open: reusing one after an
 * unplug keeps failing (node-serialport#2685, #2735), and serialport has no auto-reconnect
 * (#648), so the next call after a `close` reopens.
 */
export class SerialPortLink implements SerialLink {
  private port: SerialPort | undefined;
  private opening: Promise<void> | undefined;
  private readonly rx = new RxBuffer();
  /** Rejects the write in progress when the port goes away under it. */
  private failWrite: ((err: SerialLinkError) => void) | undefined;

  constructor(
    readonly path: string,
    private readonly settings: SerialSettings,
  ) {}

  get isOpen(): boolean {
    return this.port?.isOpen ?? false;
  }

  async open(deadline: Deadline): Promise<void> {
    if (this.port?.isOpen) return;
    this.opening ??= withDeadline(
      deadline,
      `${this.path} open`,
      () => this.doOpen(),
      () =>
        new SerialLinkError(
          'OPEN_FAILED',
          `${this.path}: open timed out after ${deadline.timeoutMs} ms`,
        ),
    ).finally(() => {
      this.opening = undefined;
    });
    return this.opening;
  }

  async write(bytes: Uint8Array, deadline: Deadline): Promise<void> {
    const started = Date.now();
    await this.open(deadline);
    const port = this.port;
    if (!port) throw new SerialLinkError('DISCONNECTED', `${this.path}: not open`);
    const remaining = {
      ...deadline,
      timeoutMs: Math.max(1, deadline.timeoutMs - (Date.now() - started)),
    };
    await withDeadline(
      remaining,
      `${this.path} write`,
      () =>
        new Promise<void>((resolve, reject) => {
          this.failWrite = reject;
          port.write(Buffer.from(bytes), (err) => {
            if (err) {
              reject(
                new SerialLinkError('DISCONNECTED', `${this.path}: write failed (${err.message})`, {
                  cause: err,
                }),
              );
              return;
            }
            port.drain((drainErr) => {
              if (drainErr)
                reject(
                  new SerialLinkError(
                    'DISCONNECTED',
                    `${this.path}: drain failed (${drainErr.message})`,
                  ),
                );
              else resolve();
            });
          });
        }),
      () =>
        new SerialLinkError(
          'TIMEOUT',
          `${this.path}: write not drained within ${remaining.timeoutMs} ms`,
        ),
    ).finally(() => {
      this.failWrite = undefined;
    });
  }

  async read(length: number, deadline: Deadline): Promise<Uint8Array> {
    if (!Number.isInteger(length) || length < 1)
      throw new SerialLinkError('INVALID', `read length must be >= 1, got ${length}`);
    const started = Date.now();
    await this.open(deadline);
    const remaining = {
      ...deadline,
      timeoutMs: Math.max(1, deadline.timeoutMs - (Date.now() - started)),
    };
    return withDeadline(
      remaining,
      `${this.path} read`,
      (signal) => this.rx.take(length, signal),
      () =>
        new SerialLinkError(
          'TIMEOUT',
          `${this.path}: ${length} byte(s) not received within ${remaining.timeoutMs} ms`,
        ),
    );
  }

  discardInput(): void {
    this.rx.clear();
  }

  async close(): Promise<void> {
    const port = this.port;
    this.port = undefined;
    this.rx.fail(new SerialLinkError('DISCONNECTED', `${this.path}: closed`));
    if (!port?.isOpen) return;
    await withDeadline(
      { timeoutMs: 1000 },
      `${this.path} close`,
      () =>
        new Promise<void>((resolve) => {
          port.close(() => {
            resolve();
          });
        }),
    ).catch(() => undefined);
  }

  private doOpen(): Promise<void> {
    const port = new SerialPort({
      path: this.path,
      baudRate: this.settings.baudRate,
      parity: this.settings.parity,
      dataBits: this.settings.dataBits,
      stopBits: this.settings.stopBits,
      autoOpen: false,
    });
    return new Promise<void>((resolve, reject) => {
      port.open((err) => {
        if (err) {
          reject(mapOpenError(this.path, err));
          return;
        }
        this.rx.clear();
        port.on('data', (chunk: Buffer) => {
          if (this.port === port) this.rx.push(chunk);
        });
        port.on('error', () => {
          // Reported through the failing call or the close event.
        });
        port.on('close', () => {
          if (this.port !== port) return;
          this.port = undefined;
          const lost = new SerialLinkError(
            'DISCONNECTED',
            `${this.path}: port closed (device unplugged?)`,
          );
          this.rx.fail(lost);
          this.failWrite?.(lost);
        });
        this.port = port;
        resolve();
      });
    });
  }
}
