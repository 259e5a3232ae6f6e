import { Inject, Injectable } from '@nestjs/common';
import { and, desc, eq, gt, isNull, sql } from 'drizzle-orm';
import type { Database } from '../database/database.adapter.js';
import { DATABASE } from '../database/database.tokens.js';
import {
  claims,
  gatewayCredentials,
  gateways,
  preauthorizedGateways,
  sites,
} from '../database/schema.js';

export type ClaimRow = typeof claims.$inferSelect;
export type PreauthorizationRow = typeof preauthorizedGateways.$inferSelect;
type GatewayRow = typeof gateways.$inferSelect;

export type ClaimProblem = 'unknown' | 'used' | 'expired' | 'revoked';

export interface EnrollInput {
  codeHash: string;
  gatewayId: string;
  serialNumber: string;
  model: string;
  hardwareRevision: string;
  agentVersion: string;
  firmwareVersion: string;
  secretHash: string;
}

export type EnrollOutcome =
  | { ok: true; gateway: GatewayRow; claim: ClaimRow; created: boolean }
  | { ok: false; problem: ClaimProblem; claim?: ClaimRow }
  | { ok: false; problem: 'gateway_refused'; claim: ClaimRow; gateway: GatewayRow };

@Injectable()
export class ProvisioningRepository {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  async insertClaim(row: typeof claims.$inferInsert): Promise<ClaimRow> {
    const [created] = await this.db.insert(claims).values(row).returning();
    return created;
  }

  async listClaims(tenantId: string, siteId: string, limit: number): Promise<ClaimRow[]> {
    return this.db
      .select()
      .from(claims)
      .where(and(eq(claims.tenantId, tenantId), eq(claims.siteId, siteId)))
      .orderBy(desc(claims.createdAt))
      .limit(limit);
  }

  async revokeClaim(tenantId: string, id: string): Promise<ClaimRow | undefined> {
    const [row] = await this.db
      .update(claims)
      .set({ revokedAt: new Date() })
      .where(and(eq(claims.tenantId, tenantId), eq(claims.id, id), isNull(claims.usedAt)))
      .returning();
    return row;
  }

  async findClaim(tenantId: string, id: string): Promise<ClaimRow | undefined> {
    const [row] = await this.db
      .select()
      .from(claims)
      .where(and(eq(claims.tenantId, tenantId), eq(claims.id, id)));
    return row;
  }

  /**
   * Spends the claim and creates (or re-enrolls) the gateway with fresh credentials, all in one
   * transaction. `beforeCommit` runs last inside it (broker provisioning): if it fails, the claim
   * stays unused and nothing is written.
   */
  async enroll(
    input: EnrollInput,
    beforeCommit: (gateway: GatewayRow) => Promise<void>,
  ): Promise<EnrollOutcome> {
    return this.db.transaction(async (tx) => {
      // Lock the claim row so two gateways racing with one code cannot both spend it.
      const [claim] = await tx
        .select()
        .from(claims)
        .where(eq(claims.codeHash, input.codeHash))
        .for('update');
      if (!claim) return { ok: false, problem: 'unknown' };
      if (claim.revokedAt) return { ok: false, problem: 'revoked', claim };
      if (claim.usedAt) return { ok: false, problem: 'used', claim };
      if (claim.expiresAt.getTime() <= Date.now()) return { ok: false, problem: 'expired', claim };

      const [existing] = await tx
        .select()
        .from(gateways)
        .where(
          and(eq(gateways.tenantId, claim.tenantId), eq(gateways.serialNumber, input.serialNumber)),
        )
        .for('update');
      // A revoked or rejected box does not come back with a fresh code (and does not burn it).
      if (existing && (existing.lifecycle === 'revoked' || existing.lifecycle === 'rejected')) {
        return { ok: false, problem: 'gateway_refused', claim, gateway: existing };
      }

      const [site] = await tx
        .select({ requiresApproval: sites.requiresApproval })
        .from(sites)
        .where(and(eq(sites.tenantId, claim.tenantId), eq(sites.id, claim.siteId)));
      const [preauthorized] = await tx
        .select()
        .from(preauthorizedGateways)
        .where(
          and(
            eq(preauthorizedGateways.tenantId, claim.tenantId),
            eq(preauthorizedGateways.serialNumber, input.serialNumber),
          ),
        );
      const lifecycle = site?.requiresApproval && !preauthorized ? 'pending' : 'active';

      const versions = {
        model: input.model,
        hardwareRevision: input.hardwareRevision,
        agentVersion: input.agentVersion,
        firmwareVersion: input.firmwareVersion,
      };
      let gateway: GatewayRow;
      if (existing) {
        [gateway] = (await tx
          .update(gateways)
          .set({
            ...versions,
            siteId: claim.siteId,
            updatedAt: new Date(),
            lifecycle: existing.lifecycle === 'pending' ? lifecycle : existing.lifecycle,
          })
          .where(eq(gateways.id, existing.id))
          .returning()) as [GatewayRow];
      } else {
        [gateway] = (await tx
          .insert(gateways)
          .values({
            id: input.gatewayId,
            tenantId: claim.tenantId,
            siteId: claim.siteId,
            serialNumber: input.serialNumber,
            name: input.serialNumber,
            ...versions,
            lifecycle,
          })
          .returning()) as [GatewayRow];
      }
      await tx
        .update(claims)
        .set({ usedAt: new Date(), gatewayId: gateway.id })
        .where(eq(claims.id, claim.id));
      await tx
        .insert(gatewayCredentials)
        .values({ gatewayId: gateway.id, secretHash: input.secretHash })
        .onConflictDoUpdate({
          target: gatewayCredentials.gatewayId,
          set: { secretHash: input.secretHash, createdAt: new Date() },
        });
      if (preauthorized) {
        await tx
          .update(preauthorizedGateways)
          .set({ enrolledAt: new Date() })
          .where(
            and(
              eq(preauthorizedGateways.tenantId, claim.tenantId),
              eq(preauthorizedGateways.serialNumber, input.serialNumber),
            ),
          );
      }
      await beforeCommit(gateway);
      return { ok: true, gateway, claim, created: !existing };
    });
  }

  async replaceCredential(gatewayId: string, secretHash: string): Promise<void> {
    await this.db
      .insert(gatewayCredentials)
      .values({ gatewayId, secretHash })
      .onConflictDoUpdate({
        target: gatewayCredentials.gatewayId,
        set: { secretHash, createdAt: new Date() },
      });
  }

  async setLifecycle(
    tenantId: string,
    gatewayId: string,
    from: readonly string[],
    to: string,
  ): Promise<GatewayRow | undefined> {
    const [row] = await this.db
      .update(gateways)
      .set({
        lifecycle: to,
        updatedAt: new Date(),
        ...(to === 'revoked' ? { connectivity: 'offline' } : {}),
      })
      .where(
        and(
          eq(gateways.tenantId, tenantId),
          eq(gateways.id, gatewayId),
          sql`${gateways.lifecycle} in ${from}`,
        ),
      )
      .returning();
    return row;
  }

  /** Replaces nothing: adds the manifest's rows, updating rows for serials already listed. All or nothing. */
  async upsertPreauthorizations(
    rows: (typeof preauthorizedGateways.$inferInsert)[],
  ): Promise<number> {
    if (rows.length === 0) return 0;
    return this.db.transaction(async (tx) => {
      let n = 0;
      for (let i = 0; i < rows.length; i += 500) {
        const chunk = rows.slice(i, i + 500);
        const written = await tx
          .insert(preauthorizedGateways)
          .values(chunk)
          .onConflictDoUpdate({
            target: [preauthorizedGateways.tenantId, preauthorizedGateways.serialNumber],
            set: {
              model: sql`excluded.model`,
              hardwareRevision: sql`excluded.hardware_revision`,
              siteId: sql`excluded.site_id`,
            },
          })
          .returning({ serial: preauthorizedGateways.serialNumber });
        n += written.length;
      }
      return n;
    });
  }

  async listPreauthorizations(
    tenantId: string,
    after: string | undefined,
    limit: number,
  ): Promise<PreauthorizationRow[]> {
    return this.db
      .select()
      .from(preauthorizedGateways)
      .where(
        and(
          eq(preauthorizedGateways.tenantId, tenantId),
          after ? gt(preauthorizedGateways.serialNumber, after) : undefined,
        ),
      )
      .orderBy(preauthorizedGateways.serialNumber)
      .limit(limit);
  }

  async deletePreauthorization(tenantId: string, serialNumber: string): Promise<boolean> {
    const deleted = await this.db
      .delete(preauthorizedGateways)
      .where(
        and(
          eq(preauthorizedGateways.tenantId, tenantId),
          eq(preauthorizedGateways.serialNumber, serialNumber),
        ),
      )
      .returning({ serial: preauthorizedGateways.serialNumber });
    return deleted.length > 0;
  }
}
