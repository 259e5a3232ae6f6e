import { type DeviceProfile, type PointDefinition } from '@fleet/profiles';
import { systemClock, type Clock } from './clock.js';

export interface RelayBoardOptions {
  clock?: Clock;
}

export interface LineWrite {
  at: number;
  line: string;
  point: string;
  value: boolean;
}

/**
 * The GPIO side of a cabinet (gpio-relay-board profile): relay outputs and door-contact inputs by
 * BCM line name, logical values (activeLow is the driver's business). Outputs start at their safe
 * value; every write is recorded with its time so tests can check pulses and power cycles.
 */
export class RelayBoardSim {
  private readonly clock: Clock;
  private readonly levels = new Map<string, boolean>();
  private readonly byLine = new Map<string, PointDefinition>();
  private readonly byName = new Map<string, PointDefinition>();
  readonly history: LineWrite[] = [];

  constructor(
    readonly profile: DeviceProfile,
    options: RelayBoardOptions = {},
  ) {
    this.clock = options.clock ?? systemClock;
    for (const p of profile.points) {
      if (p.line === undefined) continue;
      this.byLine.set(p.line, p);
      this.byName.set(p.name, p);
      this.levels.set(p.line, p.safeValue ?? false);
    }
  }

  private lineOf(lineOrPoint: string): PointDefinition {
    const p = this.byLine.get(lineOrPoint) ?? this.byName.get(lineOrPoint);
    if (!p) throw new Error(`${this.profile.id} has no line or point "${lineOrPoint}"`);
    return p;
  }

  read(lineOrPoint: string): boolean {
    const p = this.lineOf(lineOrPoint);
    return this.levels.get(p.line ?? '') ?? false;
  }

  /** What the gateway does: drive an output (inputs refuse, as a real input line would). */
  write(lineOrPoint: string, value: boolean): void {
    const p = this.lineOf(lineOrPoint);
    if (p.access === 'r') throw new Error(`${p.line ?? ''} (${p.name}) is an input`);
    this.levels.set(p.line ?? '', value);
    this.history.push({ at: this.clock(), line: p.line ?? '', point: p.name, value });
  }

  /** What the world does: a door opens, a contact closes. */
  setInput(lineOrPoint: string, value: boolean): void {
    const p = this.lineOf(lineOrPoint);
    if (p.access !== 'r') throw new Error(`${p.line ?? ''} (${p.name}) is an output`);
    this.levels.set(p.line ?? '', value);
  }

  /** Drives every output back to its safe value (what the agent does on exit). */
  safeState(): void {
    for (const p of this.byLine.values()) {
      if (p.access !== 'r' && this.read(p.name) !== (p.safeValue ?? false))
        this.write(p.name, p.safeValue ?? false);
    }
  }
}
