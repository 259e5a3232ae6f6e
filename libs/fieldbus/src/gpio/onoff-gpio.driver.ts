import { Gpio } from 'onoff';
import { GpioError } from './gpio-error.js';
import type { GpioController, GpioLine, GpioLineOptions, GpioValue } from './gpio-line.port.js';
import { type ResolveOptions, resolveSysfsGpio } from './sysfs-gpio-resolver.js';

/**
 * GPIO through onoff (sysfs). The sysfs number is resolved at runtime from the chip base, so
 * the same profile works on Pi 0–4 and Pi 5 on any kernel. Outputs start at and return to their
 * safe value; inputs use onoff's debounce. Lines are released on process exit.
 */
export class OnoffGpioController implements GpioController {
  private readonly lines = new Set<OnoffGpioLine>();
  private exitHook: (() => void) | undefined;

  constructor(private readonly resolve: ResolveOptions = {}) {}

  async open(name: string, options: GpioLineOptions): Promise<GpioLine> {
    const resolved = await resolveSysfsGpio(name, this.resolve);
    if (!Gpio.accessible) {
      throw new GpioError(
        'GPIO_UNAVAILABLE',
        `GPIO not available on this machine (sysfs GPIO not accessible) for ${name}`,
      );
    }
    const safe = options.safeValue ?? 0;
    const physicalSafe = options.activeLow ? 1 - safe : safe;
    let gpio: Gpio;
    try {
      gpio =
        options.direction === 'out'
          ? new Gpio(resolved.sysfsNumber, physicalSafe === 1 ? 'high' : 'low', 'none', {
              activeLow: false,
            })
          : new Gpio(resolved.sysfsNumber, 'in', 'both', {
              activeLow: options.activeLow ?? false,
              debounceTimeout: options.debounceMs ?? 0,
            });
    } catch (err) {
      throw new GpioError(
        'IO',
        `${name} (sysfs ${resolved.sysfsNumber}): ${err instanceof Error ? err.message : String(err)}`,
        {
          cause: err,
        },
      );
    }
    const line = new OnoffGpioLine(name, options, gpio, () => this.lines.delete(line));
    this.lines.add(line);
    this.installExitHook();
    return line;
  }

  async closeAll(): Promise<void> {
    for (const line of [...this.lines]) await line.close();
  }

  private installExitHook(): void {
    if (this.exitHook) return;
    // Relays must not stay energised when the agent dies.
    this.exitHook = () => {
      for (const line of this.lines) line.closeSync();
    };
    process.once('exit', this.exitHook);
  }
}

class OnoffGpioLine implements GpioLine {
  readonly direction: 'in' | 'out';
  private closed = false;

  constructor(
    readonly name: string,
    private readonly options: GpioLineOptions,
    private readonly gpio: Gpio,
    private readonly onClose: () => void,
  ) {
    this.direction = options.direction;
  }

  private physical(v: GpioValue): GpioValue {
    // Outputs apply activeLow here (so the safe state is explicit); inputs let onoff apply it.
    return this.direction === 'out' && this.options.activeLow ? ((1 - v) as GpioValue) : v;
  }

  async read(): Promise<GpioValue> {
    this.assertOpen();
    try {
      return this.physical(await this.gpio.read());
    } catch (err) {
      throw new GpioError('IO', `${this.name}: read failed`, { cause: err });
    }
  }

  async write(value: GpioValue): Promise<void> {
    this.assertOpen();
    if (this.direction !== 'out')
      throw new GpioError('IO', `${this.name}: is an input, cannot write`);
    try {
      await this.gpio.write(this.physical(value));
    } catch (err) {
      throw new GpioError('IO', `${this.name}: write failed`, { cause: err });
    }
  }

  watch(listener: (value: GpioValue) => void): () => void {
    const cb = (err: Error | null | undefined, value: GpioValue): void => {
      if (!err) listener(value);
    };
    this.gpio.watch(cb);
    return () => {
      this.gpio.unwatch(cb);
    };
  }

  close(): Promise<void> {
    this.closeSync();
    return Promise.resolve();
  }

  closeSync(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      if (this.direction === 'out') this.gpio.writeSync(this.physical(this.options.safeValue ?? 0));
      this.gpio.unwatchAll();
      this.gpio.unexport();
    } finally {
      this.onClose();
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new GpioError('CLOSED', `${this.name}: closed`);
  }
}
