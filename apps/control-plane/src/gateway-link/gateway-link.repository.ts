import { Inject, Injectable } from '@nestjs/common';
import { and, asc, eq, inArray, lt, sql } from 'drizzle-orm';
import type { Database } from '../database/database.adapter.js';
import { DATABASE } from '../database/database.tokens.js';
import { devices, gatewayCredentials, gateways } from '../database/schema.js';

export interface PresenceUpdate {
  state: 'online' | 'offline';
  bootId: string;
  seq: number;
  ts: Date;
  agentVersion?: string;
  firmwareVersion?: string;
}

export interface FlippedGateway {
  id: string;
  tenantId: string;
  connectivity: string;
}

@Injectable()
export class GatewayLinkRepository {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  /**
   * Applies a presence message unless a newer one was already applied: within one boot by seq,
   * across boots by timestamp. Late and duplicate messages change nothing.
   */
  async applyPresence(
    gatewayId: string,
    update: PresenceUpdate,
  ): Promise<(FlippedGateway & { changed: boolean }) | undefined> {
    const newer = sql`(${gateways.presenceBootId} is null
      or (${gateways.presenceBootId} = ${update.bootId} and ${gateways.presenceSeq} < ${update.seq})
      or (${gateways.presenceBootId} <> ${update.bootId} and ${gateways.presenceTs} < ${update.ts}))`;
    const [row] = await this.db
      .update(gateways)
      .set({
        connectivity: sql`case when ${gateways.lifecycle} = 'active' then ${update.state} else ${gateways.connectivity} end`,
        connectivityChangedAt: sql`case when ${gateways.connectivity} <> ${update.state} then now() else ${gateways.connectivityChangedAt} end`,
        lastSeenAt: sql`now()`,
        presenceBootId: update.bootId,
        presenceSeq: update.seq,
        presenceTs: update.ts,
        ...(update.agentVersion ? { agentVersion: update.agentVersion } : {}),
        ...(update.firmwareVersion ? { firmwareVersion: update.firmwareVersion } : {}),
      })
      .where(and(eq(gateways.id, gatewayId), newer))
      .returning({
        id: gateways.id,
        tenantId: gateways.tenantId,
        connectivity: gateways.connectivity,
        changed: sql<boolean>`${gateways.connectivityChangedAt} = now()`,
      });
    return row;
  }

  /** Heartbeats from these gateways: they are alive. Returns those that were offline until now. */
  async touch(gatewayIds: readonly string[]): Promise<FlippedGateway[]> {
    if (gatewayIds.length === 0) return [];
    const rows = await this.db
      .update(gateways)
      .set({
        lastSeenAt: sql`now()`,
        connectivity: sql`case when ${gateways.lifecycle} = 'active' then 'online' else ${gateways.connectivity} end`,
        connectivityChangedAt: sql`case when ${gateways.lifecycle} = 'active' and ${gateways.connectivity} = 'offline' then now() else ${gateways.connectivityChangedAt} end`,
      })
      .where(inArray(gateways.id, [...gatewayIds]))
      .returning({
        id: gateways.id,
        tenantId: gateways.tenantId,
        connectivity: gateways.connectivity,
        flipped: sql<boolean>`${gateways.connectivityChangedAt} = now()`,
      });
    return rows.filter((r) => r.flipped);
  }

  /** Online gateways silent for longer than the threshold: their last will was lost; mark them offline. */
  async markSilentOffline(silentSince: Date): Promise<FlippedGateway[]> {
    return this.db
      .update(gateways)
      .set({ connectivity: 'offline', connectivityChangedAt: sql`now()` })
      .where(and(eq(gateways.connectivity, 'online'), lt(gateways.lastSeenAt, silentSince)))
      .returning({
        id: gateways.id,
        tenantId: gateways.tenantId,
        connectivity: gateways.connectivity,
      });
  }

  async bumpConfigVersion(gatewayId: string): Promise<number | undefined> {
    const [row] = await this.db
      .update(gateways)
      .set({ configVersion: sql`${gateways.configVersion} + 1` })
      .where(eq(gateways.id, gatewayId))
      .returning({ version: gateways.configVersion });
    return row?.version;
  }

  async configSource(gatewayId: string) {
    const [gateway] = await this.db
      .select({
        id: gateways.id,
        tenantId: gateways.tenantId,
        lifecycle: gateways.lifecycle,
        configVersion: gateways.configVersion,
      })
      .from(gateways)
      .where(eq(gateways.id, gatewayId));
    if (!gateway) return undefined;
    const rows = await this.db
      .select({
        id: devices.id,
        name: devices.name,
        profileId: devices.profileId,
        connection: devices.connection,
        tags: devices.tags,
      })
      .from(devices)
      .where(eq(devices.gatewayId, gatewayId))
      .orderBy(asc(devices.id));
    return { gateway, devices: rows };
  }

  async recordConfigAck(gatewayId: string, version: number, error: string | null): Promise<void> {
    await this.db
      .update(gateways)
      .set(
        error === null
          ? { configAppliedVersion: version, configError: null }
          : { configError: `version ${version}: ${error}` },
      )
      .where(eq(gateways.id, gatewayId));
  }

  /** The credential and lifecycle behind an MQTT login. */
  async findCredential(
    gatewayId: string,
  ): Promise<{ secretHash: string; tenantId: string; lifecycle: string } | undefined> {
    const [row] = await this.db
      .select({
        secretHash: gatewayCredentials.secretHash,
        tenantId: gateways.tenantId,
        lifecycle: gateways.lifecycle,
      })
      .from(gatewayCredentials)
      .innerJoin(gateways, eq(gateways.id, gatewayCredentials.gatewayId))
      .where(eq(gatewayCredentials.gatewayId, gatewayId));
    return row;
  }

  async tenantOf(gatewayId: string): Promise<string | undefined> {
    const [row] = await this.db
      .select({ tenantId: gateways.tenantId })
      .from(gateways)
      .where(eq(gateways.id, gatewayId));
    return row?.tenantId;
  }

  async deviceIdsOf(gatewayId: string): Promise<string[]> {
    const rows = await this.db
      .select({ id: devices.id })
      .from(devices)
      .where(eq(devices.gatewayId, gatewayId));
    return rows.map((r) => r.id);
  }
}
