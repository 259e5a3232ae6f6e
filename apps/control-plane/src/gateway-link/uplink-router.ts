import { Injectable, Logger } from '@nestjs/common';
import type { DecodedUplink } from '@fleet/contracts';
import { GatewayConfigService } from './gateway-config.service.js';
import { GatewayLinkRepository } from './gateway-link.repository.js';
import { PresenceService } from './presence.service.js';
import { TelemetryService } from './telemetry.service.js';

export type UplinkHandlerFn = (uplink: DecodedUplink, tenantId: string) => Promise<void>;

/**
 * The thin edge between the MQTT bus and the services: one call per valid uplink, by channel.
 * Command and OTA uplinks are routed to handlers their modules register.
 */
@Injectable()
export class UplinkRouter {
  private readonly logger = new Logger(UplinkRouter.name);
  private readonly extra = new Map<string, UplinkHandlerFn>();
  /** gateway id → tenant (gateways never change tenant). The broker vouches for the id in the topic. */
  private readonly tenants = new Map<string, string>();
  readonly unhandled: Record<string, number> = {};

  constructor(
    private readonly presence: PresenceService,
    private readonly telemetry: TelemetryService,
    private readonly config: GatewayConfigService,
    private readonly repo: GatewayLinkRepository,
  ) {}

  /** Lets the commands and firmware modules take their channels. */
  register(channel: 'cmd/ack' | 'cmd/result' | 'ota/status', handler: UplinkHandlerFn): void {
    this.extra.set(channel, handler);
  }

  private async tenantOf(gatewayId: string): Promise<string | undefined> {
    const cached = this.tenants.get(gatewayId);
    if (cached) return cached;
    const tenantId = await this.repo.tenantOf(gatewayId);
    if (tenantId) this.tenants.set(gatewayId, tenantId);
    return tenantId;
  }

  async handle(uplink: DecodedUplink): Promise<void> {
    const tenantId = await this.tenantOf(uplink.gatewayId);
    if (!tenantId) {
      this.logger.warn(
        { gatewayId: uplink.gatewayId, channel: uplink.channel },
        'uplink from an unknown gateway dropped',
      );
      return;
    }
    switch (uplink.channel) {
      case 'status':
        return this.presence.onStatus(uplink.gatewayId, uplink.message);
      case 'heartbeat':
        this.presence.onHeartbeat(uplink.gatewayId, uplink.message);
        return;
      case 'telemetry':
        return this.telemetry.ingest(uplink.gatewayId, tenantId, uplink.message);
      case 'config/ack':
        return this.config.onConfigAck(uplink.gatewayId, uplink.message);
      case 'cmd/ack':
      case 'cmd/result':
      case 'ota/status': {
        const handler = this.extra.get(uplink.channel);
        if (handler) return handler(uplink, tenantId);
        this.unhandled[uplink.channel] = (this.unhandled[uplink.channel] ?? 0) + 1;
        return;
      }
    }
  }
}
