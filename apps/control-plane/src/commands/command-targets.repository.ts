import { Inject, Injectable } from '@nestjs/common';
import type { DeviceSelectorKey, Selector } from '@fleet/contracts';
import { and, asc, eq, inArray, notInArray } from 'drizzle-orm';
import type { Scope } from '../auth/principal.js';
import type { Database } from '../database/database.adapter.js';
import { DATABASE } from '../database/database.tokens.js';
import { devices, gateways } from '../database/schema.js';
import { deviceSelectorCondition, scopeCondition } from '../registry/selector.sql.js';

export interface TargetDeviceRow {
  id: string;
  name: string;
  profileId: string;
  gatewayId: string;
  gatewayLifecycle: string;
}

/** Gateways that can never receive a command again. */
const UNREACHABLE_LIFECYCLES = ['revoked', 'rejected'];

/** Resolves a command's target to devices, tenant- and site-scoped, with the registry's selector SQL. */
@Injectable()
export class CommandTargetsRepository {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  private columns() {
    return {
      id: devices.id,
      name: devices.name,
      profileId: devices.profileId,
      gatewayId: devices.gatewayId,
      gatewayLifecycle: gateways.lifecycle,
    };
  }

  /** Devices matching a selector, except those behind revoked or rejected gateways. */
  async bySelector(
    scope: Scope,
    selector: Selector<DeviceSelectorKey>,
  ): Promise<TargetDeviceRow[]> {
    return this.db
      .select(this.columns())
      .from(devices)
      .innerJoin(gateways, eq(gateways.id, devices.gatewayId))
      .where(
        and(
          scopeCondition(scope),
          deviceSelectorCondition(selector),
          notInArray(gateways.lifecycle, UNREACHABLE_LIFECYCLES),
        ),
      )
      .orderBy(asc(devices.gatewayId), asc(devices.id));
  }

  /** The listed devices that exist in the caller's scope (any gateway lifecycle). */
  async byIds(scope: Scope, ids: readonly string[]): Promise<TargetDeviceRow[]> {
    if (ids.length === 0) return [];
    return this.db
      .select(this.columns())
      .from(devices)
      .innerJoin(gateways, eq(gateways.id, devices.gatewayId))
      .where(and(scopeCondition(scope), inArray(devices.id, [...ids])))
      .orderBy(asc(devices.gatewayId), asc(devices.id));
  }
}
