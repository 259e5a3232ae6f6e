/** How a simulated device misbehaves on its next request(s). */
export type SimFault =
  { kind: 'timeout' } | { kind: 'exception'; code: number } | { kind: 'garbage' };

interface Armed {
  fault: SimFault;
  remaining: number;
}

/** Faults injected into one device; each request consumes one use. */
export class SimFaults {
  private armed: Armed | undefined;

  /** Arms a fault for the next `count` requests (default: until cleared). */
  inject(fault: SimFault, count = Number.POSITIVE_INFINITY): void {
    if (!(count > 0)) throw new RangeError(`fault count must be positive, got ${count}`);
    this.armed = { fault, remaining: count };
  }

  clear(): void {
    this.armed = undefined;
  }

  /** The fault for the request being served, if any (and counts it). */
  take(): SimFault | undefined {
    const a = this.armed;
    if (!a) return undefined;
    a.remaining--;
    if (a.remaining <= 0) this.armed = undefined;
    return a.fault;
  }

  get active(): SimFault | undefined {
    return this.armed?.fault;
  }
}
