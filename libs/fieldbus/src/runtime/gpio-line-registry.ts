import type { DeviceProfile, PointDefinition } from '@fleet/profiles';
import type { GpioController, GpioLine } from '../gpio/gpio-line.port.js';

/**
 * Opens each GPIO line of a profile once, with the direction its point implies: read-only points
 * are debounced inputs, writable points are outputs starting at their safe value.
 */
export class GpioLineRegistry {
  private readonly lines = new Map<string, Promise<GpioLine>>();

  constructor(
    private readonly controller: GpioController,
    private readonly profile: DeviceProfile,
  ) {}

  private debounceMs(): number {
    const gpio = this.profile.transports.find((t) => t.kind === 'gpio');
    return gpio?.kind === 'gpio' ? gpio.debounceMs : 0;
  }

  pointForLine(line: string): PointDefinition | undefined {
    return this.profile.points.find((p) => p.line === line);
  }

  line(name: string, hint?: { activeLow?: boolean }): Promise<GpioLine> {
    let line = this.lines.get(name);
    if (!line) {
      const point = this.pointForLine(name);
      const output = point ? point.access !== 'r' : true;
      const activeLow = point?.activeLow ?? hint?.activeLow ?? false;
      line = this.controller.open(
        name,
        output
          ? { direction: 'out', activeLow, safeValue: point?.safeValue ? 1 : 0 }
          : { direction: 'in', activeLow, debounceMs: this.debounceMs() },
      );
      // A failed open is not cached: the next call tries again with a fresh error.
      line.catch(() => this.lines.delete(name));
      this.lines.set(name, line);
    }
    return line;
  }

  async closeAll(): Promise<void> {
    const all = [...this.lines.values()];
    this.lines.clear();
    for (const l of all) await (await l.catch(() => undefined))?.close();
  }
}
