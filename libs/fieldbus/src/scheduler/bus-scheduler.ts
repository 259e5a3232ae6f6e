import { ModbusError } from '../modbus/modbus-error.js';
import type { Deadline } from '../util/deadline.js';
import {
  DeviceHealth,
  type DeviceHealthChange,
  type DeviceHealthOptions,
  type DeviceHealthSnapshot,
} from './device-health.js';

/** Operator commands go ahead of routine polling. */
export type TransactionPriority = 'command' | 'poll';

export interface BusTransaction<T> {
  /** Device key on this bus (e.g. `unit:3`); health is tracked per device. */
  device: string;
  priority: TransactionPriority;
  /** Budget of one attempt on the wire. */
  timeoutMs: number;
  /** The device's extra pause after its transaction, on top of the bus silent interval. */
  interFrameDelayMs?: number;
  /** Retries for transient faults (default: the scheduler's). */
  retries?: number;
  /** Longest wait in the queue before the transaction starts (default: the scheduler's). */
  queueTimeoutMs?: number;
  /** Caller cancellation: removes a queued transaction, aborts a running one. */
  signal?: AbortSignal;
  /** For errors and logs, e.g. `FC03 @0+80`. */
  label?: string;
  run: (deadline: Deadline) => Promise<T>;
}

export interface BusSchedulerOptions {
  busId: string;
  /** Bus silence between frames (t3.5 for RTU, 0 for TCP). */
  silentIntervalMs: number;
  retries?: number;
  /** First retry backoff; doubles per retry. */
  retryBackoffMs?: number;
  queueTimeoutMs?: number;
  health?: Partial<DeviceHealthOptions>;
  /** Faults worth a retry (default: the error's `transient` flag, as ModbusError and SerialLinkError have). */
  isTransient?: (err: unknown) => boolean;
  /** Faults that mean the device did not answer (default: the error's `deviceSilent` flag). */
  isDeviceSilent?: (err: unknown) => boolean;
  now?: () => number;
}

export interface BusStats {
  busId: string;
  transactions: number;
  succeeded: number;
  errors: number;
  retries: number;
  skippedOffline: number;
  queueDepth: number;
  inFlight: number;
  devices: Record<string, DeviceHealthSnapshot>;
}

interface QueuedJob {
  seq: number;
  tx: BusTransaction<unknown>;
  enqueuedAt: number;
  notBefore: number;
  attempt: number;
  maxAttempts: number;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  onAbort?: () => void;
}

const DEFAULT_HEALTH: DeviceHealthOptions = {
  offlineAfter: 3,
  probeBackoffMs: 1000,
  probeBackoffMaxMs: 60_000,
};

/**
 * One per physical bus. Exactly one transaction in flight, the bus silent interval plus the
 * device's inter-frame delay between frames, a deadline on every attempt, bounded retries with
 * backoff for transient faults only, commands ahead of polls, and per-device health so a dead
 * device is skipped (with backoff probes) instead of stalling the others.
 */
export class BusScheduler {
  private readonly queue: QueuedJob[] = [];
  private readonly health = new Map<string, DeviceHealth>();
  private readonly healthListeners = new Set<(c: DeviceHealthChange) => void>();
  private readonly opts: Required<Omit<BusSchedulerOptions, 'health'>> & {
    health: DeviceHealthOptions;
  };
  private seq = 0;
  private running = false;
  private inFlight = 0;
  private busFreeAt = 0;
  private wakeTimer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;
  private idleWaiters: (() => void)[] = [];
  private counters = { transactions: 0, succeeded: 0, errors: 0, retries: 0, skippedOffline: 0 };

  constructor(options: BusSchedulerOptions) {
    this.opts = {
      busId: options.busId,
      silentIntervalMs: options.silentIntervalMs,
      retries: options.retries ?? 2,
      retryBackoffMs: options.retryBackoffMs ?? 50,
      queueTimeoutMs: options.queueTimeoutMs ?? 60_000,
      health: { ...DEFAULT_HEALTH, ...options.health },
      isTransient: options.isTransient ?? ((e) => flag(e, 'transient')),
      isDeviceSilent: options.isDeviceSilent ?? ((e) => flag(e, 'deviceSilent')),
      now: options.now ?? (() => Date.now()),
    };
  }

  get busId(): string {
    return this.opts.busId;
  }

  /** Queues a transaction; resolves with its result or rejects with its final error. */
  submit<T>(tx: BusTransaction<T>): Promise<T> {
    if (this.closed)
      return Promise.reject(new ModbusError('ABORTED', `${this.busId}: scheduler closed`));
    if (tx.signal?.aborted)
      return Promise.reject(new ModbusError('ABORTED', `${this.describe(tx)}: aborted`));
    return new Promise<T>((resolve, reject) => {
      const now = this.opts.now();
      const job: QueuedJob = {
        seq: this.seq++,
        tx: tx,
        enqueuedAt: now,
        notBefore: now,
        attempt: 0,
        maxAttempts: 1,
        resolve: resolve as (v: unknown) => void,
        reject,
      };
      if (tx.signal) {
        job.onAbort = () => {
          const idx = this.queue.indexOf(job);
          if (idx >= 0) {
            this.queue.splice(idx, 1);
            this.settle(
              job,
              new ModbusError('ABORTED', `${this.describe(tx)}: aborted while queued`),
            );
          }
        };
        tx.signal.addEventListener('abort', job.onAbort, { once: true });
      }
      this.queue.push(job);
      this.pump();
    });
  }

  onHealthChange(listener: (change: DeviceHealthChange) => void): () => void {
    this.healthListeners.add(listener);
    return () => this.healthListeners.delete(listener);
  }

  deviceHealth(device: string): DeviceHealthSnapshot {
    return this.healthOf(device).snapshot();
  }

  stats(): BusStats {
    const devices: Record<string, DeviceHealthSnapshot> = {};
    for (const [key, h] of this.health) devices[key] = h.snapshot();
    return {
      busId: this.busId,
      ...this.counters,
      queueDepth: this.queue.length,
      inFlight: this.inFlight,
      devices,
    };
  }

  /** Resolves when nothing is queued or running. */
  idle(): Promise<void> {
    if (!this.running && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Rejects everything queued and waits for the transaction in flight. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    for (const job of this.queue.splice(0)) {
      this.settle(job, new ModbusError('ABORTED', `${this.describe(job.tx)}: scheduler closed`));
    }
    await this.idle();
  }

  private healthOf(device: string): DeviceHealth {
    let h = this.health.get(device);
    if (!h) {
      h = new DeviceHealth(this.opts.health);
      this.health.set(device, h);
    }
    return h;
  }

  private describe(tx: BusTransaction<unknown>): string {
    return `${this.busId} ${tx.device}${tx.label ? ` ${tx.label}` : ''}`;
  }

  private pump(): void {
    if (this.running || this.closed) return;
    this.running = true;
    void this.loop().finally(() => {
      this.running = false;
      // Work submitted while the loop was finishing (a caller reacting to a settled job) needs a new pass.
      if (this.queue.length > 0 && !this.closed && !this.wakeTimer) {
        this.pump();
        return;
      }
      if (this.queue.length === 0 || this.closed) {
        const waiters = this.idleWaiters.splice(0);
        waiters.forEach((w) => {
          w();
        });
      }
    });
  }

  private async loop(): Promise<void> {
    for (;;) {
      if (this.closed) return;
      const now = this.opts.now();
      const job = this.pick(now);
      if (!job) {
        const next = this.earliestStart(now);
        if (next === undefined) return;
        // Nothing eligible yet (bus silence or retry backoff): come back when something is.
        this.scheduleWake(next - now);
        return;
      }
      await this.execute(job);
    }
  }

  private earliestStart(now: number): number | undefined {
    if (this.queue.length === 0) return undefined;
    const earliestJob = Math.min(...this.queue.map((j) => j.notBefore));
    return Math.max(earliestJob, this.busFreeAt, now);
  }

  private scheduleWake(ms: number): void {
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    this.wakeTimer = setTimeout(
      () => {
        this.wakeTimer = undefined;
        this.pump();
      },
      Math.max(0, ms),
    );
  }

  /** Highest priority first, then oldest; offline devices and expired waits fail without bus time. */
  private pick(now: number): QueuedJob | undefined {
    if (now < this.busFreeAt) return undefined;
    for (;;) {
      let best: QueuedJob | undefined;
      for (const job of this.queue) {
        if (job.notBefore > now) continue;
        if (!best || rank(job) < rank(best) || (rank(job) === rank(best) && job.seq < best.seq))
          best = job;
      }
      if (!best) return undefined;
      this.queue.splice(this.queue.indexOf(best), 1);
      const tx = best.tx;
      const waited = now - best.enqueuedAt;
      const queueTimeout = tx.queueTimeoutMs ?? this.opts.queueTimeoutMs;
      if (best.attempt === 0 && waited > queueTimeout) {
        this.settle(
          best,
          new ModbusError('TIMEOUT', `${this.describe(tx)}: waited ${waited} ms in the bus queue`),
        );
        continue;
      }
      const health = this.healthOf(tx.device);
      if (best.attempt === 0) {
        // Commands always get one try (an operator asked); polls of an offline device wait for the probe.
        if (tx.priority === 'poll' && health.shouldSkip(now)) {
          this.counters.skippedOffline++;
          const snap = health.snapshot();
          this.settle(
            best,
            new ModbusError(
              'DEVICE_OFFLINE',
              `${this.describe(tx)}: device offline (${snap.lastError ?? 'no reply'}), next probe in ${
                (snap.nextProbeAt ?? now) - now
              } ms`,
            ),
          );
          continue;
        }
        best.maxAttempts = health.allowsRetries() ? 1 + (tx.retries ?? this.opts.retries) : 1;
      }
      return best;
    }
  }

  private async execute(job: QueuedJob): Promise<void> {
    const tx = job.tx;
    job.attempt++;
    this.counters.transactions++;
    this.inFlight++;
    let outcome: { ok: true; value: unknown } | { ok: false; error: Error };
    try {
      const deadline: Deadline = { timeoutMs: tx.timeoutMs };
      if (tx.signal) deadline.signal = tx.signal;
      outcome = { ok: true, value: await tx.run(deadline) };
    } catch (err) {
      outcome = { ok: false, error: err instanceof Error ? err : new Error(String(err)) };
    } finally {
      this.inFlight--;
    }
    const now = this.opts.now();
    this.busFreeAt = now + this.opts.silentIntervalMs + (tx.interFrameDelayMs ?? 0);
    const health = this.healthOf(tx.device);
    if (outcome.ok) {
      this.counters.succeeded++;
      this.transition(tx.device, health.recordSuccess(now), health);
      this.settle(job, undefined, outcome.value);
      return;
    }
    const error = outcome.error;
    this.counters.errors++;
    const aborted = tx.signal?.aborted === true;
    if (!aborted && this.opts.isTransient(error) && job.attempt < job.maxAttempts && !this.closed) {
      this.counters.retries++;
      job.notBefore = now + this.opts.retryBackoffMs * 2 ** (job.attempt - 1);
      this.queue.push(job);
      return;
    }
    if (this.opts.isDeviceSilent(error)) {
      this.transition(tx.device, health.recordFailure(now, error.message), health, error.message);
    } else if (error instanceof ModbusError && error.code === 'EXCEPTION') {
      // An exception reply proves the device is alive.
      this.transition(tx.device, health.recordSuccess(now), health);
    }
    this.settle(job, error);
  }

  private transition(
    device: string,
    from: DeviceHealth['current'],
    health: DeviceHealth,
    error?: string,
  ): void {
    const to = health.current;
    if (from === to) return;
    const change: DeviceHealthChange = { device, from, to };
    if (error !== undefined) change.error = error;
    for (const l of this.healthListeners) l(change);
  }

  private settle(job: QueuedJob, error: Error | undefined, value?: unknown): void {
    if (job.onAbort) job.tx.signal?.removeEventListener('abort', job.onAbort);
    if (error) job.reject(error);
    else job.resolve(value);
  }
}

function rank(job: QueuedJob): number {
  return job.tx.priority === 'command' ? 0 : 1;
}

function flag(err: unknown, name: 'transient' | 'deviceSilent'): boolean {
  return typeof err === 'object' && err !== null && (err as Record<string, unknown>)[name] === true;
}
