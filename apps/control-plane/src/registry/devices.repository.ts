import { Inject, Injectable } from '@nestjs/common';
import type { DeviceSelectorKey, Selector } from '@fleet/contracts';
import { and, asc, eq, getTableColumns, gt, inArray } from 'drizzle-orm';
import type { Scope } from '../auth/principal.js';
import type { Database } from '../database/database.adapter.js';
import { DATABASE } from '../database/database.tokens.js';
import { devices, gateways } from '../database/schema.js';
import { deviceSelectorCondition, scopeCondition } from './selector.sql.js';

export type DeviceRow = typeof devices.$inferSelect;
export type NewDeviceRow = typeof devices.$inferInsert;
export type DeviceWithSite = DeviceRow & { siteId: string };

@Injectable()
export class DevicesRepository {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  async insert(row: NewDeviceRow): Promise<DeviceRow> {
    const [created] = await this.db.insert(devices).values(row).returning();
    return created;
  }

  async find(scope: Scope, id: string): Promise<DeviceWithSite | undefined> {
    const [row] = await this.db
      .select({ ...getTableColumns(devices), siteId: gateways.siteId })
      .from(devices)
      .innerJoin(gateways, eq(gateways.id, devices.gatewayId))
      .where(and(scopeCondition(scope), eq(devices.id, id)));
    return row;
  }

  async list(
    scope: Scope,
    selector: Selector<DeviceSelectorKey>,
    after: string | undefined,
    limit: number,
  ): Promise<DeviceWithSite[]> {
    return this.db
      .select({ ...getTableColumns(devices), siteId: gateways.siteId })
      .from(devices)
      .innerJoin(gateways, eq(gateways.id, devices.gatewayId))
      .where(
        and(
          scopeCondition(scope),
          deviceSelectorCondition(selector),
          after ? gt(devices.id, after) : undefined,
        ),
      )
      .orderBy(asc(devices.id))
      .limit(limit);
  }

  async findByAddress(gatewayId: string, addressKey: string): Promise<DeviceRow | undefined> {
    const [row] = await this.db
      .select()
      .from(devices)
      .where(and(eq(devices.gatewayId, gatewayId), eq(devices.addressKey, addressKey)));
    return row;
  }

  async update(
    scope: Scope,
    id: string,
    patch: Partial<NewDeviceRow>,
  ): Promise<DeviceRow | undefined> {
    const [row] = await this.db
      .update(devices)
      .set({ ...patch, updatedAt: new Date() })
      .where(and(eq(devices.id, id), inArray(devices.gatewayId, this.visibleGatewayIds(scope))))
      .returning();
    return row;
  }

  async delete(scope: Scope, id: string): Promise<boolean> {
    const deleted = await this.db
      .delete(devices)
      .where(and(eq(devices.id, id), inArray(devices.gatewayId, this.visibleGatewayIds(scope))))
      .returning({ id: devices.id });
    return deleted.length > 0;
  }

  private visibleGatewayIds(scope: Scope) {
    return this.db.select({ id: gateways.id }).from(gateways).where(scopeCondition(scope));
  }
}
