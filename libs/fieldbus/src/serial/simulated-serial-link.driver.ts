import type { SerialLink } from './serial-link.port.js';
import { SerialLinkError } from './serial-link-error.js';
import { RxBuffer } from './rx-buffer.js';
import { type Deadline, withDeadline } from '../util/deadline.js';

/** A device on the other end: sees every written frame, may answer with bytes. */
export type SimulatedSerialDevice = (frame: Uint8Array) => Uint8Array | undefined;

/** In-memory serial line for laptops and tests; can be unplugged and re-plugged. */
export class SimulatedSerialLink implements SerialLink {
  private open_ = false;
  private present = true;
  private readonly rx = new RxBuffer();
  /** Every frame written, in order. */
  readonly written: Uint8Array[] = [];

  constructor(
    readonly path = 'sim:serial',
    private device: SimulatedSerialDevice = () => undefined,
  ) {}

  get isOpen(): boolean {
    return this.open_;
  }

  attach(device: SimulatedSerialDevice): void {
    this.device = device;
  }

  /** The adapter disappears: the link closes and reopening fails until `replug()`. */
  unplug(): void {
    this.present = false;
    this.open_ = false;
    this.rx.fail(
      new SerialLinkError('DISCONNECTED', `${this.path}: port closed (device unplugged?)`),
    );
  }

  replug(): void {
    this.present = true;
  }

  open(_deadline: Deadline): Promise<void> {
    if (!this.present)
      return Promise.reject(new SerialLinkError('PORT_NOT_FOUND', `${this.path}: port not found`));
    this.open_ = true;
    return Promise.resolve();
  }

  async write(bytes: Uint8Array, deadline: Deadline): Promise<void> {
    await this.open(deadline);
    const frame = Uint8Array.from(bytes);
    this.written.push(frame);
    const reply = this.device(frame);
    if (reply)
      queueMicrotask(() => {
        this.rx.push(reply);
      });
  }

  async read(length: number, deadline: Deadline): Promise<Uint8Array> {
    await this.open(deadline);
    return withDeadline(
      deadline,
      `${this.path} read`,
      (signal) => this.rx.take(length, signal),
      () =>
        new SerialLinkError(
          'TIMEOUT',
          `${this.path}: ${length} byte(s) not received within ${deadline.timeoutMs} ms`,
        ),
    );
  }

  discardInput(): void {
    this.rx.clear();
  }

  close(): Promise<void> {
    this.open_ = false;
    this.rx.fail(new SerialLinkError('DISCONNECTED', `${this.path}: closed`));
    return Promise.resolve();
  }
}
