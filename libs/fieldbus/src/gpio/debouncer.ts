/** Reports a level only after it has held for `ms`; used where the driver does not debounce. */
export class Debouncer<T> {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private last: T | undefined;

  constructor(
    private readonly ms: number,
    private readonly emit: (value: T) => void,
  ) {}

  push(value: T): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.ms <= 0) {
      this.deliver(value);
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.deliver(value);
    }, this.ms);
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private deliver(value: T): void {
    if (value === this.last) return;
    this.last = value;
    this.emit(value);
  }
}
