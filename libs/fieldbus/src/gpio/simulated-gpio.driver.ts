import { GpioError } from './gpio-error.js';
import type { GpioController, GpioLine, GpioLineOptions, GpioValue } from './gpio-line.port.js';
import { Debouncer } from './debouncer.js';

/** In-memory GPIO for laptops and tests: drive inputs with `setInput`, inspect outputs with `level`. */
export class SimulatedGpioController implements GpioController {
  /** Physical pin levels by line name. */
  private readonly levels = new Map<string, GpioValue>();
  private readonly lines = new Map<string, SimulatedGpioLine>();

  constructor(private readonly lineCount = 28) {}

  open(name: string, options: GpioLineOptions): Promise<GpioLine> {
    const m = /^GPIO(\d{1,3})$/.exec(name);
    if (!m)
      return Promise.reject(
        new GpioError(
          'INVALID_LINE',
          `${name}: GPIO lines are named by BCM line name, e.g. GPIO17`,
        ),
      );
    if (Number(m[1]) >= this.lineCount) {
      return Promise.reject(
        new GpioError('LINE_NOT_FOUND', `${name}: no such line (GPIO0..GPIO${this.lineCount - 1})`),
      );
    }
    const line = new SimulatedGpioLine(name, options, this);
    this.lines.set(name, line);
    if (options.direction === 'out') this.setLevel(name, line.physical(options.safeValue ?? 0));
    return Promise.resolve(line);
  }

  async closeAll(): Promise<void> {
    for (const line of [...this.lines.values()]) await line.close();
  }

  /** Physical level of a pin (what a meter on the header would see). */
  level(name: string): GpioValue | undefined {
    return this.levels.get(name);
  }

  /** Drives an input pin's physical level, e.g. a door contact opening. */
  setInput(name: string, level: GpioValue): void {
    this.setLevel(name, level);
    this.lines.get(name)?.onLevel(level);
  }

  setLevel(name: string, level: GpioValue): void {
    this.levels.set(name, level);
  }

  release(name: string): void {
    this.lines.delete(name);
  }
}

class SimulatedGpioLine implements GpioLine {
  readonly direction: 'in' | 'out';
  private readonly listeners = new Set<(v: GpioValue) => void>();
  private readonly debouncer: Debouncer<GpioValue>;
  private closed = false;

  constructor(
    readonly name: string,
    private readonly options: GpioLineOptions,
    private readonly ctl: SimulatedGpioController,
  ) {
    this.direction = options.direction;
    this.debouncer = new Debouncer(options.debounceMs ?? 0, (v) => {
      for (const l of this.listeners) l(v);
    });
  }

  physical(logical: GpioValue): GpioValue {
    return this.options.activeLow ? ((1 - logical) as GpioValue) : logical;
  }

  onLevel(level: GpioValue): void {
    if (!this.closed) this.debouncer.push(this.physical(level));
  }

  read(): Promise<GpioValue> {
    if (this.closed) return Promise.reject(new GpioError('CLOSED', `${this.name}: closed`));
    return Promise.resolve(this.physical(this.ctl.level(this.name) ?? 0));
  }

  write(value: GpioValue): Promise<void> {
    if (this.closed) return Promise.reject(new GpioError('CLOSED', `${this.name}: closed`));
    if (this.direction !== 'out')
      return Promise.reject(new GpioError('IO', `${this.name}: is an input, cannot write`));
    this.ctl.setLevel(this.name, this.physical(value));
    return Promise.resolve();
  }

  watch(listener: (value: GpioValue) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (this.direction === 'out')
      this.ctl.setLevel(this.name, this.physical(this.options.safeValue ?? 0));
    this.closed = true;
    this.debouncer.stop();
    this.listeners.clear();
    this.ctl.release(this.name);
    return Promise.resolve();
  }
}
