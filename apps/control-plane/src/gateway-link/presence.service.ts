import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import type { HeartbeatMessage, StatusMessage } from '@fleet/contracts';
import { Subject, type Observable } from 'rxjs';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.tokens.js';
import { FleetEvents } from '../events/fleet-events.service.js';
import { GatewayLinkRepository, type FlippedGateway } from './gateway-link.repository.js';

const HEARTBEAT_FLUSH_MS = 1_000;

/**
 * Gateway presence from retained status messages (with last will) and heartbeats. Late, duplicate
 * and out-of-order messages are ordered by (boot, seq) in the database; a quick disconnect-reconnect
 * is debounced so operators do not see flapping; silent gateways whose will was lost are swept.
 */
@Injectable()
export class PresenceService implements OnModuleDestroy {
  private readonly logger = new Logger(PresenceService.name);
  private readonly pendingOffline = new Map<string, NodeJS.Timeout>();
  private readonly heartbeats = new Set<string>();
  private flushTimer: NodeJS.Timeout | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private readonly cameOnline = new Subject<string>();

  constructor(
    private readonly repo: GatewayLinkRepository,
    private readonly events: FleetEvents,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Gateway ids that just turned online (config and queued work are pushed to them). */
  get online$(): Observable<string> {
    return this.cameOnline.asObservable();
  }

  start(): void {
    const every = Math.max(5_000, (this.config.PRESENCE_STALE_SECONDS * 1000) / 4);
    this.sweepTimer = setInterval(() => {
      void this.sweep();
    }, every);
    this.sweepTimer.unref();
  }

  async onStatus(gatewayId: string, message: StatusMessage): Promise<void> {
    const pending = this.pendingOffline.get(gatewayId);
    if (pending) {
      clearTimeout(pending);
      this.pendingOffline.delete(gatewayId);
    }
    if (
      message.state === 'offline' &&
      message.reason !== 'shutdown' &&
      this.config.PRESENCE_DEBOUNCE_MS > 0
    ) {
      // A will that fires because of a blip is often followed by an online within seconds.
      const timer = setTimeout(() => {
        this.pendingOffline.delete(gatewayId);
        void this.apply(gatewayId, message);
      }, this.config.PRESENCE_DEBOUNCE_MS);
      timer.unref();
      this.pendingOffline.set(gatewayId, timer);
      return;
    }
    await this.apply(gatewayId, message);
  }

  onHeartbeat(gatewayId: string, _message: HeartbeatMessage): void {
    this.heartbeats.add(gatewayId);
    this.flushTimer ??= setTimeout(() => {
      this.flushTimer = undefined;
      void this.flushHeartbeats();
    }, HEARTBEAT_FLUSH_MS);
  }

  private async apply(gatewayId: string, message: StatusMessage): Promise<void> {
    const row = await this.repo.applyPresence(gatewayId, {
      state: message.state,
      bootId: message.bootId,
      seq: message.seq,
      ts: new Date(message.ts),
      agentVersion: message.agentVersion,
      firmwareVersion: message.firmwareVersion,
    });
    if (!row) return; // stale or unknown gateway
    if (row.changed) this.announce([row], message.reason);
    // Every (re)connect, changed or not: the gateway may have lost state we must resend.
    if (row.connectivity === 'online') this.cameOnline.next(row.id);
  }

  private async flushHeartbeats(): Promise<void> {
    const ids = [...this.heartbeats];
    this.heartbeats.clear();
    try {
      const flipped = await this.repo.touch(ids);
      this.announce(flipped);
      for (const gateway of flipped) this.cameOnline.next(gateway.id);
    } catch (error) {
      this.logger.warn({ err: error, gateways: ids.length }, 'heartbeats not recorded');
    }
  }

  private async sweep(): Promise<void> {
    try {
      const silentSince = new Date(Date.now() - this.config.PRESENCE_STALE_SECONDS * 1000);
      const flipped = await this.repo.markSilentOffline(silentSince);
      if (flipped.length)
        this.logger.log({ gateways: flipped.length }, 'silent gateways marked offline');
      this.announce(flipped, 'silent');
    } catch (error) {
      this.logger.warn({ err: error }, 'presence sweep failed');
    }
  }

  private announce(rows: readonly FlippedGateway[], reason?: string): void {
    const at = new Date().toISOString();
    for (const row of rows) {
      if (row.connectivity !== 'online' && row.connectivity !== 'offline') continue;
      this.events.publish({
        kind: 'gateway.presence',
        tenantId: row.tenantId,
        gatewayId: row.id,
        connectivity: row.connectivity,
        at,
        reason,
      });
    }
  }

  onModuleDestroy(): void {
    for (const timer of this.pendingOffline.values()) clearTimeout(timer);
    this.pendingOffline.clear();
    if (this.flushTimer) clearTimeout(this.flushTimer);
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.cameOnline.complete();
  }
}
