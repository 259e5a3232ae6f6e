import { Injectable } from '@nestjs/common';
import { ConflictError, InvalidInputError, NotFoundError, uuidv7 } from '@fleet/common';
import {
  DEVICE_SELECTOR_KEYS,
  mergeSelector,
  parseSelector,
  type DeviceSelectorKey,
  type Selector,
} from '@fleet/contracts';
import type { Scope } from '../auth/principal.js';
import { decodeCursor, DEFAULT_PAGE_SIZE, pageOf, type Page } from '../http/pagination.js';
import type {
  ConnectionDto,
  DeviceCreateDto,
  DeviceDto,
  DeviceListQueryDto,
  DeviceUpdateDto,
} from './devices.dto.js';
import { DevicesRepository, type DeviceWithSite } from './devices.repository.js';
import { GatewaysService } from './gateways.service.js';
import { ProfileCatalogService } from './profile-catalog.service.js';
import { RegistryChanges } from './registry-changes.js';

/** Keeps only the fields that mean something for the connection kind, with defaults filled in. */
export function normalizeConnection(connection: ConnectionDto): ConnectionDto {
  switch (connection.kind) {
    case 'modbus-rtu':
      if (connection.unitId === undefined || connection.unitId < 1 || connection.unitId > 247) {
        throw new InvalidInputError('VALIDATION_FAILED', [
          {
            field: 'connection.unitId',
            reason: 'must be 1-247 on a serial (RTU) bus; 0 is broadcast',
          },
        ]);
      }
      return {
        kind: 'modbus-rtu',
        bus: connection.bus,
        baudRate: connection.baudRate ?? 9600,
        parity: connection.parity ?? 'none',
        unitId: connection.unitId,
      };
    case 'modbus-tcp':
      return {
        kind: 'modbus-tcp',
        host: connection.host,
        port: connection.port ?? 502,
        unitId: connection.unitId ?? 1,
      };
    case 'serial':
      return {
        kind: 'serial',
        bus: connection.bus,
        baudRate: connection.baudRate ?? 2400,
        parity: connection.parity ?? 'none',
        address: connection.address,
      };
    case 'gpio':
      return { kind: 'gpio' };
  }
}

/** Where the device answers on its gateway; two devices may not share it. */
export function addressKeyOf(connection: ConnectionDto, deviceId: string): string {
  switch (connection.kind) {
    case 'modbus-rtu':
      return `rtu:${connection.bus ?? ''}:${connection.unitId ?? ''}`;
    case 'modbus-tcp':
      return `tcp:${connection.host ?? ''}:${connection.port ?? 502}:${connection.unitId ?? ''}`;
    case 'serial':
      return `serial:${connection.bus ?? ''}:${connection.address ?? ''}`;
    case 'gpio':
      // A gateway's GPIO header may carry several boards; they do not collide by address.
      return `gpio:${deviceId}`;
  }
}

@Injectable()
export class DevicesService {
  constructor(
    private readonly devices: DevicesRepository,
    private readonly gateways: GatewaysService,
    private readonly profiles: ProfileCatalogService,
    private readonly changes: RegistryChanges,
  ) {}

  async create(scope: Scope, gatewayId: string, input: DeviceCreateDto): Promise<DeviceDto> {
    const gateway = await this.gateways.require(scope, gatewayId);
    this.profiles.requireCompatible(input.profileId, input.connection.kind, 'profileId');
    const id = uuidv7();
    const connection = normalizeConnection(input.connection);
    const addressKey = addressKeyOf(connection, id);
    await this.assertAddressFree(gatewayId, addressKey);
    try {
      const row = await this.devices.insert({
        id,
        tenantId: scope.tenantId,
        gatewayId,
        name: input.name,
        profileId: input.profileId,
        connection,
        addressKey,
        tags: input.tags ?? [],
      });
      this.changes.gatewayDevicesChanged({ tenantId: scope.tenantId, gatewayId });
      return toDeviceDto({ ...row, siteId: gateway.siteId });
    } catch (error) {
      if (isUniqueViolation(error)) await this.assertAddressFree(gatewayId, addressKey);
      throw error;
    }
  }

  async get(scope: Scope, id: string): Promise<DeviceDto> {
    return toDeviceDto(await this.require(scope, id));
  }

  async require(scope: Scope, id: string): Promise<DeviceWithSite> {
    const device = await this.devices.find(scope, id);
    if (!device) throw new NotFoundError('DEVICE_NOT_FOUND', `device ${id} not found`);
    return device;
  }

  selectorOf(
    query: Pick<DeviceListQueryDto, 'selector' | 'site' | 'tag' | 'profile' | 'gateway'>,
  ): Selector<DeviceSelectorKey> {
    return mergeSelector(
      parseSelector(query.selector ?? '', DEVICE_SELECTOR_KEYS),
      { site: query.site, tag: query.tag, profile: query.profile, gateway: query.gateway },
      DEVICE_SELECTOR_KEYS,
    );
  }

  async list(
    scope: Scope,
    query: DeviceListQueryDto,
    gatewayId?: string,
  ): Promise<Page<DeviceDto>> {
    if (gatewayId !== undefined) await this.gateways.require(scope, gatewayId);
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const selector = this.selectorOf({
      selector: query.selector,
      site: query.site,
      tag: query.tag,
      profile: query.profile,
      gateway: gatewayId ?? query.gateway,
    });
    const rows = await this.devices.list(scope, selector, decodeCursor(query.cursor), limit + 1);
    const page = pageOf(rows, limit, (d) => d.id);
    return { items: page.items.map(toDeviceDto), nextCursor: page.nextCursor };
  }

  async update(scope: Scope, id: string, input: DeviceUpdateDto): Promise<DeviceDto> {
    const current = await this.require(scope, id);
    const connection = input.connection
      ? normalizeConnection(input.connection)
      : (current.connection as ConnectionDto);
    const profileId = input.profileId ?? current.profileId;
    if (input.profileId !== undefined || input.connection !== undefined) {
      this.profiles.requireCompatible(
        profileId,
        connection.kind,
        input.profileId !== undefined ? 'profileId' : 'connection.kind',
      );
    }
    const addressKey = addressKeyOf(connection, id);
    if (addressKey !== current.addressKey)
      await this.assertAddressFree(current.gatewayId, addressKey);
    const updated = await this.devices.update(scope, id, {
      name: input.name,
      profileId: input.profileId,
      connection: input.connection ? connection : undefined,
      addressKey,
      tags: input.tags,
    });
    if (!updated) throw new NotFoundError('DEVICE_NOT_FOUND', `device ${id} not found`);
    this.changes.gatewayDevicesChanged({ tenantId: scope.tenantId, gatewayId: current.gatewayId });
    return toDeviceDto({ ...updated, siteId: current.siteId });
  }

  async delete(scope: Scope, id: string): Promise<void> {
    const current = await this.require(scope, id);
    if (!(await this.devices.delete(scope, id))) {
      throw new NotFoundError('DEVICE_NOT_FOUND', `device ${id} not found`);
    }
    this.changes.gatewayDevicesChanged({ tenantId: scope.tenantId, gatewayId: current.gatewayId });
  }

  private async assertAddressFree(gatewayId: string, addressKey: string): Promise<void> {
    const taken = await this.devices.findByAddress(gatewayId, addressKey);
    if (taken) {
      throw new ConflictError(
        'DEVICE_ADDRESS_TAKEN',
        `device "${taken.name}" (${taken.id}) already answers at ${addressKey} on this gateway`,
        {
          deviceId: taken.id,
        },
      );
    }
  }
}

function isUniqueViolation(error: unknown): boolean {
  const code =
    (error as { code?: unknown; cause?: { code?: unknown } } | null)?.code ??
    (error as { cause?: { code?: unknown } } | null)?.cause?.code;
  return code === '23505';
}

function toDeviceDto(row: DeviceWithSite): DeviceDto {
  return {
    id: row.id,
    gatewayId: row.gatewayId,
    siteId: row.siteId,
    name: row.name,
    profileId: row.profileId,
    connection: row.connection as ConnectionDto,
    tags: row.tags,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}
