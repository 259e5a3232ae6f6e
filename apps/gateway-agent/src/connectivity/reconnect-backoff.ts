import { ConnectivityError } from './connectivity.error.js';

export interface ReconnectBackoffOptions {
  /** Ceiling of the first retry after a lost or failed connection (default 1 s). */
  initialDelayMs?: number;
  /** Cap on any retry after a failure (default 60 s). */
  maxDelayMs?: number;
  multiplier?: number;
  /** A connection that lasted this long resets the backoff (default 60 s). */
  stableAfterMs?: number;
  /** Base for a refused CONNECT (bad or revoked credentials): retries slowly (default 60 s). */
  refusedInitialDelayMs?: number;
  /** Cap for refused CONNECTs (default 30 min). */
  refusedMaxDelayMs?: number;
  /** Uniform [0, 1); injectable for tests. */
  random?: () => number;
  /** Clock; injectable for tests (fake timers also work). */
  now?: () => number;
}

export type RetryReason = 'failure' | 'refused';

/**
 * Delays between reconnect attempts. After a failure: "full jitter", a uniform delay in
 * [0, min(cap, initial × multiplier^attempt)], so a fleet that lost the control plane at the same
 * moment comes back spread out instead of in waves. After a refused CONNECT (credentials rejected,
 * gateway revoked): "equal jitter" on a much larger base, so it never becomes a tight loop. The
 * attempt count resets only once a connection has stayed up for `stableAfterMs`: a broker that
 * accepts and then drops at once keeps the backoff growing.
 */
export class ReconnectBackoff {
  private attempt = 0;
  private connectedAt: number | undefined;
  private readonly initial: number;
  private readonly max: number;
  private readonly multiplier: number;
  private readonly stableAfter: number;
  private readonly refusedInitial: number;
  private readonly refusedMax: number;
  private readonly random: () => number;
  private readonly now: () => number;

  constructor(options: ReconnectBackoffOptions = {}) {
    this.initial = options.initialDelayMs ?? 1_000;
    this.max = options.maxDelayMs ?? 60_000;
    this.multiplier = options.multiplier ?? 2;
    this.stableAfter = options.stableAfterMs ?? 60_000;
    this.refusedInitial = options.refusedInitialDelayMs ?? 60_000;
    this.refusedMax = options.refusedMaxDelayMs ?? 30 * 60_000;
    this.random = options.random ?? Math.random;
    this.now = options.now ?? Date.now;
    if (!(this.initial > 0 && this.max >= this.initial && this.multiplier >= 1)) {
      throw new ConnectivityError(
        'INVALID_OPTIONS',
        'backoff needs 0 < initialDelayMs <= maxDelayMs and multiplier >= 1',
      );
    }
    if (!(this.refusedInitial > 0 && this.refusedMax >= this.refusedInitial)) {
      throw new ConnectivityError(
        'INVALID_OPTIONS',
        'backoff needs 0 < refusedInitialDelayMs <= refusedMaxDelayMs',
      );
    }
  }

  /** Attempts since the last reset. */
  get attempts(): number {
    return this.attempt;
  }

  /** The delay before the next attempt; counts an attempt. */
  nextDelay(reason: RetryReason): number {
    const exponent = Math.min(this.attempt, 64);
    this.attempt += 1;
    if (reason === 'refused') {
      const ceiling = Math.min(this.refusedMax, this.refusedInitial * this.multiplier ** exponent);
      return Math.round(ceiling / 2 + this.random() * (ceiling / 2));
    }
    const ceiling = Math.min(this.max, this.initial * this.multiplier ** exponent);
    return Math.round(this.random() * ceiling);
  }

  /** A connection came up. */
  connected(): void {
    this.connectedAt = this.now();
  }

  /** The connection went down: reset if it had been stable. */
  disconnected(): void {
    if (this.connectedAt !== undefined && this.now() - this.connectedAt >= this.stableAfter)
      this.attempt = 0;
    this.connectedAt = undefined;
  }

  reset(): void {
    this.attempt = 0;
  }
}
