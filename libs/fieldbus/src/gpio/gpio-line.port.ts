export type GpioValue = 0 | 1;

export interface GpioLineOptions {
  direction: 'in' | 'out';
  /** Logical 1 drives the pin low (active-low relay boards). */
  activeLow?: boolean;
  /** Inputs: a change counts once the level has held this long. */
  debounceMs?: number;
  /** Outputs: the logical value driven on open and on close (relays off). Default 0. */
  safeValue?: GpioValue;
}

/** One GPIO line, named by its BCM line name (`GPIO17`), logical values (activeLow applied). */
export interface GpioLine {
  readonly name: string;
  readonly direction: 'in' | 'out';
  read(): Promise<GpioValue>;
  write(value: GpioValue): Promise<void>;
  /** Inputs: debounced changes. Returns an unsubscribe function. */
  watch(listener: (value: GpioValue) => void): () => void;
  /** Outputs go back to their safe value; the line is released. */
  close(): Promise<void>;
}

export interface GpioController {
  /** Throws GpioError (GPIO_UNAVAILABLE, CHIP_NOT_FOUND, LINE_NOT_FOUND) with a clear message. */
  open(name: string, options: GpioLineOptions): Promise<GpioLine>;
  /** Closes every line opened here (outputs to their safe value). */
  closeAll(): Promise<void>;
}
