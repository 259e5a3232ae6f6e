import { Inject, Injectable } from '@nestjs/common';
import type { GatewaySelectorKey, Selector } from '@fleet/contracts';
import { and, asc, desc, eq, gt, inArray, lt, sql } from 'drizzle-orm';
import type { Scope } from '../auth/principal.js';
import type { Database } from '../database/database.adapter.js';
import { DATABASE } from '../database/database.tokens.js';
import { gateways } from '../database/schema.js';
import { gatewaySelectorCondition, scopeCondition } from '../registry/selector.sql.js';
import { deployments, firmwareReleases, rollouts } from './firmware.schema.js';
import { ACTIVE_STATES, CANCELABLE_STATES } from './rollout-policy.js';

export type RolloutRow = typeof rollouts.$inferSelect;
export type NewRolloutRow = typeof rollouts.$inferInsert;
export type DeploymentRow = typeof deployments.$inferSelect;

/** A gateway a rollout selector matched, with what compatibility checks need. */
export interface CandidateGateway {
  id: string;
  name: string;
  siteId: string;
  model: string;
  hardwareRevision: string;
  firmwareVersion: string | null;
  connectivity: string;
  /** Another unfinished rollout that already holds this gateway. */
  busyIn: string | null;
}

export interface NewDeployment {
  id: string;
  gatewayId: string;
  wave: number;
  fromVersion: string | null;
}

/** A deployment stopped by the control plane; `instructed` ones get a `cancel` downlink. */
export interface StoppedDeployment {
  id: string;
  rolloutId: string;
  gatewayId: string;
  instructed: boolean;
}

export interface StateCount {
  wave: number;
  state: string;
  count: number;
}

export interface DeploymentListRow extends DeploymentRow {
  gatewayName: string;
}

const UNFINISHED = ['scheduled', 'running', 'paused'] as const;

/** A gateway already taken by an unfinished rollout (one update at a time per gateway). */
const busyIn = sql<string | null>`(
  select d.rollout_id from ${deployments} d join ${rollouts} r on r.id = d.rollout_id
  where d.gateway_id = "gateways"."id"
    and d.state in ('scheduled', 'downloading', 'downloaded', 'installing', 'rebooting', 'verifying')
    and r.state in ('scheduled', 'running', 'paused')
  limit 1)`;

@Injectable()
export class RolloutsRepository {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  /** Active gateways the selector matches inside the caller's scope. */
  async candidates(
    scope: Scope,
    selector: Selector<GatewaySelectorKey>,
  ): Promise<CandidateGateway[]> {
    return this.db
      .select({
        id: gateways.id,
        name: gateways.name,
        siteId: gateways.siteId,
        model: gateways.model,
        hardwareRevision: gateways.hardwareRevision,
        firmwareVersion: gateways.firmwareVersion,
        connectivity: gateways.connectivity,
        busyIn,
      })
      .from(gateways)
      .where(
        and(
          scopeCondition(scope),
          eq(gateways.lifecycle, 'active'),
          gatewaySelectorCondition(selector),
        ),
      )
      .orderBy(asc(gateways.id));
  }

  /**
   * Writes the rollout and all its deployments in one transaction. Creations in one tenant are
   * serialised, and gateways another rollout took meanwhile are reported instead of taken twice.
   */
  async create(
    rollout: NewRolloutRow & { id: string },
    toVersion: string,
    rows: readonly NewDeployment[],
  ): Promise<{ ok: true; rollout: RolloutRow } | { ok: false; busy: string[] }> {
    return this.db.transaction(async (tx) => {
      await tx.execute(
        sql`select pg_advisory_xact_lock(hashtext(${`rollout-create:${rollout.tenantId}`}))`,
      );
      const busy: string[] = [];
      for (let i = 0; i < rows.length; i += 5000) {
        const ids = rows.slice(i, i + 5000).map((r) => r.gatewayId);
        const taken = await tx
          .select({ id: gateways.id, busyIn })
          .from(gateways)
          .where(inArray(gateways.id, ids));
        busy.push(...taken.filter((t) => t.busyIn !== null).map((t) => t.id));
      }
      if (busy.length > 0) return { ok: false as const, busy };
      const [created] = await tx.insert(rollouts).values(rollout).returning();
      for (let i = 0; i < rows.length; i += 1000) {
        await tx.insert(deployments).values(
          rows.slice(i, i + 1000).map((r) => ({
            id: r.id,
            rolloutId: rollout.id,
            tenantId: rollout.tenantId,
            gatewayId: r.gatewayId,
            wave: r.wave,
            fromVersion: r.fromVersion,
            toVersion,
          })),
        );
      }
      return { ok: true as const, rollout: created };
    });
  }

  async find(
    tenantId: string,
    id: string,
  ): Promise<(RolloutRow & { version: string }) | undefined> {
    const [row] = await this.db
      .select({ rollout: rollouts, version: firmwareReleases.version })
      .from(rollouts)
      .innerJoin(firmwareReleases, eq(firmwareReleases.id, rollouts.releaseId))
      .where(and(eq(rollouts.tenantId, tenantId), eq(rollouts.id, id)));
    return row && { ...row.rollout, version: row.version };
  }

  async findById(id: string): Promise<RolloutRow | undefined> {
    const [row] = await this.db.select().from(rollouts).where(eq(rollouts.id, id));
    return row;
  }

  /** Running rollouts in which this gateway waits to start. */
  async waitingFor(gatewayId: string): Promise<string[]> {
    const rows = await this.db
      .select({ id: deployments.rolloutId })
      .from(deployments)
      .innerJoin(rollouts, eq(rollouts.id, deployments.rolloutId))
      .where(
        and(
          eq(deployments.gatewayId, gatewayId),
          eq(deployments.state, 'scheduled'),
          sql`${deployments.instruction} is null`,
          inArray(rollouts.state, ['scheduled', 'running']),
        ),
      );
    return rows.map((r) => r.id);
  }

  /** Newest first (ids are UUIDv7, so they sort by creation). */
  async list(
    tenantId: string,
    before: string | undefined,
    limit: number,
    state?: string,
  ): Promise<(RolloutRow & { version: string })[]> {
    const rows = await this.db
      .select({ rollout: rollouts, version: firmwareReleases.version })
      .from(rollouts)
      .innerJoin(firmwareReleases, eq(firmwareReleases.id, rollouts.releaseId))
      .where(
        and(
          eq(rollouts.tenantId, tenantId),
          before ? lt(rollouts.id, before) : undefined,
          state ? eq(rollouts.state, state) : undefined,
        ),
      )
      .orderBy(desc(rollouts.id))
      .limit(limit);
    return rows.map((r) => ({ ...r.rollout, version: r.version }));
  }

  /** Deployments per wave and state, counted in Postgres. */
  async counts(rolloutIds: readonly string[]): Promise<(StateCount & { rolloutId: string })[]> {
    if (rolloutIds.length === 0) return [];
    return this.db
      .select({
        rolloutId: deployments.rolloutId,
        wave: deployments.wave,
        state: deployments.state,
        count: sql<number>`count(*)::int`,
      })
      .from(deployments)
      .where(inArray(deployments.rolloutId, [...rolloutIds]))
      .groupBy(deployments.rolloutId, deployments.wave, deployments.state);
  }

  async deployments(
    rolloutId: string,
    filter: { state?: string; wave?: number },
    after: string | undefined,
    limit: number,
  ): Promise<DeploymentListRow[]> {
    const rows = await this.db
      .select({ deployment: deployments, gatewayName: gateways.name })
      .from(deployments)
      .innerJoin(gateways, eq(gateways.id, deployments.gatewayId))
      .where(
        and(
          eq(deployments.rolloutId, rolloutId),
          filter.state ? eq(deployments.state, filter.state) : undefined,
          filter.wave !== undefined ? eq(deployments.wave, filter.wave) : undefined,
          after ? gt(deployments.id, after) : undefined,
        ),
      )
      .orderBy(asc(deployments.id))
      .limit(limit);
    return rows.map((r) => ({ ...r.deployment, gatewayName: r.gatewayName }));
  }

  async pause(tenantId: string, id: string, reason: string): Promise<RolloutRow | undefined> {
    const [row] = await this.db
      .update(rollouts)
      .set({ state: 'paused', stateReason: reason, updatedAt: new Date() })
      .where(
        and(
          eq(rollouts.tenantId, tenantId),
          eq(rollouts.id, id),
          inArray(rollouts.state, ['scheduled', 'running']),
        ),
      )
      .returning();
    return row;
  }

  /** Resuming restarts the failure count, so failures already judged do not stop it again. */
  async resume(tenantId: string, id: string, at: Date): Promise<RolloutRow | undefined> {
    const [row] = await this.db
      .update(rollouts)
      .set({ state: 'running', stateReason: null, failuresCountedSince: at, updatedAt: at })
      .where(
        and(eq(rollouts.tenantId, tenantId), eq(rollouts.id, id), eq(rollouts.state, 'paused')),
      )
      .returning();
    return row;
  }

  /**
   * Ends unfinished rollouts (by id, or every one of a release) and cancels their deployments that
   * have not switched slots yet; deployments already installing finish and keep reporting.
   */
  async stop(
    where: { tenantId: string; rolloutId?: string; releaseId?: string },
    state: 'canceled' | 'aborted',
    reason: string,
    at: Date,
  ): Promise<{ rollouts: RolloutRow[]; stopped: StoppedDeployment[] }> {
    return this.db.transaction(async (tx) => {
      const ended = await tx
        .update(rollouts)
        .set({ state, stateReason: reason, finishedAt: at, updatedAt: at })
        .where(
          and(
            eq(rollouts.tenantId, where.tenantId),
            where.rolloutId ? eq(rollouts.id, where.rolloutId) : undefined,
            where.releaseId ? eq(rollouts.releaseId, where.releaseId) : undefined,
            inArray(rollouts.state, [...UNFINISHED]),
          ),
        )
        .returning();
      if (ended.length === 0) return { rollouts: [], stopped: [] };
      const stopped = await tx
        .update(deployments)
        .set({
          state: 'canceled',
          finishedAt: at,
          updatedAt: at,
          errorCode: state === 'aborted' ? 'ROLLOUT_ABORTED' : 'ROLLOUT_CANCELED',
          errorMessage: reason,
        })
        .where(
          and(
            inArray(
              deployments.rolloutId,
              ended.map((r) => r.id),
            ),
            inArray(deployments.state, [...CANCELABLE_STATES]),
          ),
        )
        .returning({
          id: deployments.id,
          rolloutId: deployments.rolloutId,
          gatewayId: deployments.gatewayId,
          instructed: sql<boolean>`${deployments.instruction} is not null`,
        });
      return { rollouts: ended, stopped };
    });
  }

  /** Rollouts that still need ticks: unfinished, or finished with deployments still running. */
  async needingTicks(): Promise<string[]> {
    const rows = await this.db
      .select({ id: rollouts.id })
      .from(rollouts)
      .where(
        sql`${rollouts.state} in ('scheduled', 'running', 'paused') or exists (
          select 1 from ${deployments} d where d.rollout_id = "rollouts"."id"
            and d.state in (${sql.join(
              ACTIVE_STATES.filter((s) => s !== 'scheduled').map((s) => sql`${s}`),
              sql`, `,
            )}))`,
      );
    return rows.map((r) => r.id);
  }
}
