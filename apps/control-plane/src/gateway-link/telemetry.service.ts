import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { NotFoundError } from '@fleet/common';
import type { TelemetryMessage } from '@fleet/contracts';
import type { Scope } from '../auth/principal.js';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.tokens.js';
import { FleetEvents } from '../events/fleet-events.service.js';
import { DevicesService } from '../registry/devices.service.js';
import { GatewayLinkRepository } from './gateway-link.repository.js';
import { TelemetryRepository, type HealthRow, type ReadingRow } from './telemetry.repository.js';

const FLUSH_MS = 250;
const FLUSH_ROWS = 5_000;
const OWNERSHIP_TTL_MS = 60_000;
const RETENTION_EVERY_MS = 3_600_000;
const MAX_BACKLOG_ROWS = 500_000;

export interface TelemetryStats {
  received: number;
  written: number;
  duplicates: number;
  droppedUnknownDevice: number;
  flushFailures: number;
  droppedBacklog: number;
}

/**
 * Ingests telemetry batches: readings of devices that belong to the sending gateway are buffered
 * and written in batches (history + latest state); others are dropped and counted. Applies retention.
 */
@Injectable()
export class TelemetryService implements OnModuleDestroy {
  private readonly logger = new Logger(TelemetryService.name);
  private buffer: ReadingRow[] = [];
  private health: HealthRow[] = [];
  private flushTimer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private retentionTimer: NodeJS.Timeout | undefined;
  private readonly ownership = new Map<string, { devices: ReadonlySet<string>; until: number }>();
  readonly stats: TelemetryStats = {
    received: 0,
    written: 0,
    duplicates: 0,
    droppedUnknownDevice: 0,
    flushFailures: 0,
    droppedBacklog: 0,
  };

  constructor(
    private readonly telemetry: TelemetryRepository,
    private readonly link: GatewayLinkRepository,
    private readonly devices: DevicesService,
    private readonly events: FleetEvents,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  start(): void {
    this.retentionTimer = setInterval(() => {
      void this.applyRetention();
    }, RETENTION_EVERY_MS);
    this.retentionTimer.unref();
  }

  async ingest(gatewayId: string, tenantId: string, message: TelemetryMessage): Promise<void> {
    const owned = await this.devicesOf(gatewayId);
    const byDevice = new Map<string, { point: string; value: unknown; ts: string }[]>();
    for (const reading of message.readings) {
      this.stats.received += 1;
      if (!owned.has(reading.deviceId)) {
        this.stats.droppedUnknownDevice += 1;
        continue;
      }
      const ts = new Date(reading.ts);
      this.buffer.push({
        tenantId,
        deviceId: reading.deviceId,
        point: reading.point,
        ts,
        value: reading.value,
      });
      let list = byDevice.get(reading.deviceId);
      if (!list) byDevice.set(reading.deviceId, (list = []));
      list.push({ point: reading.point, value: reading.value, ts: ts.toISOString() });
    }
    for (const change of message.health ?? []) {
      if (owned.has(change.deviceId)) {
        this.health.push({
          tenantId,
          deviceId: change.deviceId,
          state: change.state,
          ts: new Date(change.ts),
          error: change.error ?? null,
        });
      }
    }
    for (const [deviceId, readings] of byDevice) {
      this.events.publish({ kind: 'device.readings', tenantId, gatewayId, deviceId, readings });
    }
    await this.scheduleFlush();
  }

  /** Forgets which devices a gateway has (its configuration changed). */
  forgetDevices(gatewayId: string): void {
    this.ownership.delete(gatewayId);
  }

  async latest(scope: Scope, deviceId: string) {
    await this.devices.require(scope, deviceId);
    const [points, health] = await Promise.all([
      this.telemetry.latest(scope.tenantId, deviceId),
      this.telemetry.health(scope.tenantId, deviceId),
    ]);
    return { deviceId, health: health ?? null, points };
  }

  async history(
    scope: Scope,
    deviceId: string,
    point: string,
    from: Date,
    to: Date,
    limit: number,
  ) {
    await this.devices.require(scope, deviceId);
    if (from > to) throw new NotFoundError('EMPTY_RANGE', 'from is after to');
    const rows = await this.telemetry.history(scope.tenantId, deviceId, point, from, to, limit);
    return {
      deviceId,
      point,
      items: rows.reverse().map((r) => ({ ts: r.ts, value: r.num ?? r.val })),
    };
  }

  async flush(): Promise<void> {
    if (this.flushTimer) {
      clearTimeout(this.flushTimer);
      this.flushTimer = undefined;
    }
    const rows = this.buffer;
    const health = this.health;
    this.buffer = [];
    this.health = [];
    if (rows.length === 0 && health.length === 0) return;
    const run = this.flushing.then(async () => {
      try {
        const written = await this.telemetry.write(rows);
        this.stats.written += written;
        this.stats.duplicates += rows.length - written;
        if (health.length) await this.telemetry.writeHealth(health);
      } catch (error) {
        this.stats.flushFailures += 1;
        // Keep the readings for the next attempt (database blip), within a bound.
        if (this.buffer.length + rows.length <= MAX_BACKLOG_ROWS) {
          this.buffer = rows.concat(this.buffer);
          this.health = health.concat(this.health);
        } else {
          this.stats.droppedBacklog += rows.length;
        }
        throw error;
      }
    });
    this.flushing = run.catch(() => undefined);
    await run;
  }

  /**
   * The bus hands over one message at a time, so waiting for the database here would cap intake at
   * a few batches per second. Readings are written within FLUSH_MS; only when the database falls
   * behind (a large backlog) does intake wait, which pushes back on the broker and the gateways'
   * own on-disk buffers. The price: a control-plane crash can lose the last FLUSH_MS of readings.
   */
  private async scheduleFlush(): Promise<void> {
    if (this.buffer.length >= FLUSH_ROWS) {
      await this.flush().catch((error: unknown) => {
        this.logger.error({ err: error }, 'telemetry batch not written');
      });
      return;
    }
    this.flushTimer ??= setTimeout(() => {
      this.flushTimer = undefined;
      this.flush().catch((error: unknown) => {
        this.logger.error(
          { err: error, backlog: this.buffer.length },
          'telemetry batch not written; retrying',
        );
        void this.scheduleFlush();
      });
    }, FLUSH_MS);
  }

  private async devicesOf(gatewayId: string): Promise<ReadonlySet<string>> {
    const cached = this.ownership.get(gatewayId);
    if (cached && cached.until > Date.now()) return cached.devices;
    const devices = new Set(await this.link.deviceIdsOf(gatewayId));
    this.ownership.set(gatewayId, { devices, until: Date.now() + OWNERSHIP_TTL_MS });
    return devices;
  }

  private async applyRetention(): Promise<void> {
    const cutoff = new Date(Date.now() - this.config.TELEMETRY_RETENTION_DAYS * 86_400_000);
    try {
      let total = 0;
      for (;;) {
        const deleted = await this.telemetry.deleteOlderThan(cutoff);
        total += deleted;
        if (deleted === 0) break;
      }
      if (total) this.logger.log({ deleted: total, cutoff }, 'telemetry retention applied');
    } catch (error) {
      this.logger.warn({ err: error }, 'telemetry retention failed');
    }
  }

  /** Runs retention now (used at start-up and by tests). */
  retentionNow(): Promise<void> {
    return this.applyRetention();
  }

  async onModuleDestroy(): Promise<void> {
    if (this.retentionTimer) clearInterval(this.retentionTimer);
    await this.flush().catch(() => undefined);
  }
}
