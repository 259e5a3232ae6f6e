import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import type { ConfigAckMessage, DeviceConnection, GatewayConfigMessage } from '@fleet/contracts';
import type { Subscription } from 'rxjs';
import { ProfileCatalogService } from '../registry/profile-catalog.service.js';
import { RegistryChanges } from '../registry/registry-changes.js';
import type { ConnectionDto } from '../registry/devices.dto.js';
import { GATEWAY_BUS, type GatewayBus } from './gateway-bus.js';
import { GatewayLinkRepository } from './gateway-link.repository.js';
import { PresenceService } from './presence.service.js';
import { TelemetryService } from './telemetry.service.js';

/** Maps the registry's connection settings onto the wire contract the agent reads. */
export function toWireConnection(connection: ConnectionDto): DeviceConnection {
  switch (connection.kind) {
    case 'modbus-rtu':
      return {
        kind: 'modbus-rtu',
        path: connection.bus ?? '',
        baudRate: connection.baudRate ?? 9600,
        parity: connection.parity ?? 'none',
        unitId: connection.unitId ?? 1,
      };
    case 'modbus-tcp':
      return {
        kind: 'modbus-tcp',
        host: connection.host ?? '',
        port: connection.port ?? 502,
        unitId: connection.unitId ?? 1,
      };
    case 'serial':
      return {
        kind: 'serial',
        path: connection.bus ?? '',
        baudRate: connection.baudRate ?? 2400,
        parity: connection.parity ?? 'none',
        address: connection.address ?? 1,
      };
    case 'gpio':
      return { kind: 'gpio' };
  }
}

/**
 * Keeps each gateway's desired configuration (its devices and the profiles they use) in a retained
 * `config` message; bumps the version on every device change and resends on every reconnect.
 */
@Injectable()
export class GatewayConfigService implements OnModuleDestroy {
  private readonly logger = new Logger(GatewayConfigService.name);
  private readonly subscriptions: Subscription[] = [];
  private readonly inFlight = new Map<string, Promise<void>>();

  constructor(
    private readonly repo: GatewayLinkRepository,
    private readonly profiles: ProfileCatalogService,
    private readonly telemetry: TelemetryService,
    @Inject(GATEWAY_BUS) private readonly bus: GatewayBus,
    changes: RegistryChanges,
    presence: PresenceService,
  ) {
    this.subscriptions.push(
      changes.devicesChanged$.subscribe(({ gatewayId }) => {
        this.telemetry.forgetDevices(gatewayId);
        void this.changed(gatewayId);
      }),
      presence.online$.subscribe((gatewayId) => {
        void this.push(gatewayId).catch((error: unknown) => {
          this.logger.warn({ err: error, gatewayId }, 'config not pushed on reconnect');
        });
      }),
    );
  }

  /** Builds the message from the registry as it is now. */
  async build(gatewayId: string): Promise<GatewayConfigMessage | undefined> {
    const source = await this.repo.configSource(gatewayId);
    if (!source) return undefined;
    const profileIds = [...new Set(source.devices.map((d) => d.profileId))].sort();
    return {
      v: 1,
      type: 'config',
      version: source.gateway.configVersion,
      issuedAt: Date.now(),
      devices: source.devices.map((d) => ({
        id: d.id,
        name: d.name,
        profileId: d.profileId,
        connection: toWireConnection(d.connection as ConnectionDto),
        tags: d.tags,
      })),
      profiles: profileIds.map((id) => this.profiles.source(id)),
    };
  }

  /**
   * Publishes the current configuration. Pushes for one gateway run one after another, each built
   * from the registry when its turn comes, so the retained message is never an older version.
   */
  push(gatewayId: string): Promise<void> {
    const previous = this.inFlight.get(gatewayId) ?? Promise.resolve();
    const next = previous
      .catch(() => undefined)
      .then(async () => {
        const message = await this.build(gatewayId);
        if (message) await this.bus.publishDownlink(gatewayId, message);
      });
    this.inFlight.set(gatewayId, next);
    next
      .finally(() => {
        if (this.inFlight.get(gatewayId) === next) this.inFlight.delete(gatewayId);
      })
      .catch(() => undefined);
    return next;
  }

  onConfigAck(gatewayId: string, ack: ConfigAckMessage): Promise<void> {
    const error =
      ack.status === 'applied'
        ? null
        : [ack.reason, ...(ack.issues ?? []).map((i) => `${i.path}: ${i.message}`)]
            .filter(Boolean)
            .join('; ') || ack.status;
    if (error)
      this.logger.warn(
        { gatewayId, version: ack.configVersion, error },
        'gateway rejected its configuration',
      );
    return this.repo.recordConfigAck(gatewayId, ack.configVersion, error);
  }

  private async changed(gatewayId: string): Promise<void> {
    try {
      await this.repo.bumpConfigVersion(gatewayId);
      await this.push(gatewayId);
    } catch (error) {
      this.logger.warn(
        { err: error, gatewayId },
        'config change not pushed; the next reconnect resends it',
      );
    }
  }

  onModuleDestroy(): void {
    for (const s of this.subscriptions) s.unsubscribe();
  }
}
