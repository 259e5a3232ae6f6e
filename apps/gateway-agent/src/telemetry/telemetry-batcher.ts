import {
  isWireValue,
  MAX_TELEMETRY_READINGS,
  type DeviceHealthChange,
  type TelemetryMessage,
  type TelemetryReading,
  type WireValue,
} from '@fleet/contracts';
import type { ReadingReport } from '@fleet/fieldbus';
import type { PointValue } from '@fleet/profiles';
import type { AgentLogger } from '../agent/agent-logger.js';

export interface TelemetryBatcherOptions {
  bootId: string;
  /** A batch goes out at most this long after its first reading or health change. */
  intervalMs: number;
  /** A batch goes out as soon as it holds this many readings. */
  maxReadings: number;
  /** Estimated JSON size that closes a batch early (stays under the 256 KiB telemetry limit). */
  maxBytes?: number;
  /** Hands a batch to the outbox; batches are published one at a time, in batchSeq order. */
  publish: (message: TelemetryMessage) => Promise<unknown>;
  logger: AgentLogger;
}

export interface TelemetryStats {
  /** The batchSeq the next batch gets. */
  nextBatchSeq: number;
  batchesPublished: number;
  readingsPublished: number;
  pendingReadings: number;
  pendingHealth: number;
  /** Values the wire cannot carry (NaN, infinite, oversized strings), dropped. */
  readingsDropped: number;
  /** Batches the outbox refused (closed, too large). */
  batchesLost: number;
  lastBatchAt?: number;
}

const MAX_HEALTH_CHANGES = 5_000;
const DEFAULT_MAX_BYTES = 200 * 1024;
/** JSON overhead of one reading beyond its ids and value: keys, quotes, timestamp. */
const READING_OVERHEAD = 60;

/** A decoded point value as the contract carries it: 64-bit integers as decimal strings. */
export function toWireValue(value: PointValue): WireValue | undefined {
  const wire: unknown = typeof value === 'bigint' ? value.toString() : value;
  return isWireValue(wire) ? wire : undefined;
}

/**
 * Collects readings and device health changes into telemetry batches: a batch closes when it is
 * full (readings or bytes) or `intervalMs` after its first entry, gets the next batchSeq of this
 * boot, and is handed to the outbox. Publishing is serialised, so the outbox holds batches in
 * batchSeq order.
 */
export class TelemetryBatcher {
  private readings: TelemetryReading[] = [];
  private health: DeviceHealthChange[] = [];
  private bytes = 0;
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<void> = Promise.resolve();
  private stopped = false;
  private readonly maxReadings: number;
  private readonly maxBytes: number;
  private readonly counters = {
    nextBatchSeq: 0,
    batchesPublished: 0,
    readingsPublished: 0,
    readingsDropped: 0,
    batchesLost: 0,
    lastBatchAt: undefined as number | undefined,
  };

  constructor(private readonly options: TelemetryBatcherOptions) {
    this.maxReadings = Math.min(options.maxReadings, MAX_TELEMETRY_READINGS);
    this.maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  }

  addReport(report: ReadingReport): void {
    if (this.stopped) return;
    for (const [point, value] of Object.entries(report.values)) {
      const wire = toWireValue(value);
      if (wire === undefined) {
        this.counters.readingsDropped += 1;
        this.options.logger.debug(
          { deviceId: report.deviceId, point },
          'value not representable on the wire; dropped',
        );
        continue;
      }
      const reading: TelemetryReading = {
        deviceId: report.deviceId,
        point,
        ts: report.at,
        value: wire,
      };
      const size =
        READING_OVERHEAD + report.deviceId.length + point.length + JSON.stringify(wire).length;
      if (this.readings.length > 0 && this.bytes + size > this.maxBytes) this.close();
      this.readings.push(reading);
      this.bytes += size;
      if (this.readings.length >= this.maxReadings) this.close();
    }
    this.arm();
  }

  addHealth(change: DeviceHealthChange): void {
    if (this.stopped) return;
    if (this.health.length >= MAX_HEALTH_CHANGES) this.close();
    this.health.push(change);
    this.bytes += 200;
    this.arm();
  }

  /** Closes the open batch (if any) and resolves once every batch so far is in the outbox. */
  flush(): Promise<void> {
    this.close();
    return this.chain;
  }

  /** Flushes and stops taking entries. */
  async stop(): Promise<void> {
    await this.flush();
    this.stopped = true;
  }

  stats(): TelemetryStats {
    const stats: TelemetryStats = {
      nextBatchSeq: this.counters.nextBatchSeq,
      batchesPublished: this.counters.batchesPublished,
      readingsPublished: this.counters.readingsPublished,
      pendingReadings: this.readings.length,
      pendingHealth: this.health.length,
      readingsDropped: this.counters.readingsDropped,
      batchesLost: this.counters.batchesLost,
    };
    if (this.counters.lastBatchAt !== undefined) stats.lastBatchAt = this.counters.lastBatchAt;
    return stats;
  }

  private arm(): void {
    if (this.timer || (this.readings.length === 0 && this.health.length === 0)) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.close();
    }, this.options.intervalMs);
  }

  private close(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.readings.length === 0 && this.health.length === 0) return;
    const message: TelemetryMessage = {
      v: 1,
      type: 'telemetry',
      bootId: this.options.bootId,
      batchSeq: this.counters.nextBatchSeq,
      readings: this.readings,
    };
    if (this.health.length > 0) message.health = this.health;
    this.counters.nextBatchSeq += 1;
    this.readings = [];
    this.health = [];
    this.bytes = 0;
    this.chain = this.chain.then(() => this.publish(message));
  }

  private async publish(message: TelemetryMessage): Promise<void> {
    try {
      await this.options.publish(message);
      this.counters.batchesPublished += 1;
      this.counters.readingsPublished += message.readings.length;
      this.counters.lastBatchAt = Date.now();
    } catch (error) {
      this.counters.batchesLost += 1;
      this.options.logger.error(
        {
          batchSeq: message.batchSeq,
          readings: message.readings.length,
          err: (error as Error).message,
        },
        'telemetry batch could not be stored in the outbox',
      );
    }
  }
}
