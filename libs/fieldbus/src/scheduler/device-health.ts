/** online → suspect (a failed transaction) → offline (several in a row); back online on any reply. */
export type DeviceHealthState = 'online' | 'suspect' | 'offline';

export interface DeviceHealthOptions {
  /** Consecutive silent transactions before a device is offline. */
  offlineAfter: number;
  /** First probe delay once offline; doubles per failed probe up to the max. */
  probeBackoffMs: number;
  probeBackoffMaxMs: number;
}

export interface DeviceHealthSnapshot {
  state: DeviceHealthState;
  consecutiveFailures: number;
  lastError?: string;
  lastSuccessAt?: number;
  /** When offline: the earliest time the next probe may run. */
  nextProbeAt?: number;
}

export interface DeviceHealthChange {
  device: string;
  from: DeviceHealthState;
  to: DeviceHealthState;
  error?: string;
}

/** Health bookkeeping of one device on a bus; pure state, times passed in. */
export class DeviceHealth {
  private state: DeviceHealthState = 'online';
  private failures = 0;
  private probeDelay: number;
  private nextProbeAt = 0;
  private lastError: string | undefined;
  private lastSuccessAt: number | undefined;

  constructor(private readonly opts: DeviceHealthOptions) {
    this.probeDelay = opts.probeBackoffMs;
  }

  get current(): DeviceHealthState {
    return this.state;
  }

  /** Offline and not yet due for a probe: fail fast without touching the bus. */
  shouldSkip(now: number): boolean {
    return this.state === 'offline' && now < this.nextProbeAt;
  }

  /** Retries are spent only on devices that have been answering. */
  allowsRetries(): boolean {
    return this.state === 'online';
  }

  recordSuccess(now: number): DeviceHealthState {
    const before = this.state;
    this.state = 'online';
    this.failures = 0;
    this.probeDelay = this.opts.probeBackoffMs;
    this.lastSuccessAt = now;
    return before;
  }

  recordFailure(now: number, error: string): DeviceHealthState {
    const before = this.state;
    this.failures++;
    this.lastError = error;
    if (this.failures >= this.opts.offlineAfter) {
      if (before === 'offline') {
        this.probeDelay = Math.min(this.probeDelay * 2, this.opts.probeBackoffMaxMs);
      }
      this.state = 'offline';
      this.nextProbeAt = now + this.probeDelay;
    } else {
      this.state = 'suspect';
    }
    return before;
  }

  snapshot(): DeviceHealthSnapshot {
    const snap: DeviceHealthSnapshot = { state: this.state, consecutiveFailures: this.failures };
    if (this.lastError !== undefined) snap.lastError = this.lastError;
    if (this.lastSuccessAt !== undefined) snap.lastSuccessAt = this.lastSuccessAt;
    if (this.state === 'offline') snap.nextProbeAt = this.nextProbeAt;
    return snap;
  }
}
