import { Inject, Injectable } from '@nestjs/common';
import { and, eq, inArray, sql, type SQL } from 'drizzle-orm';
import type { Database } from '../database/database.adapter.js';
import { DATABASE } from '../database/database.tokens.js';
import { gateways } from '../database/schema.js';
import { deployments, rollouts } from './firmware.schema.js';
import type { DeploymentState } from './rollout-policy.js';
import type { OtaAction } from './orchestration.repository.js';

/** What a report handler needs about the deployment a gateway reports on. */
export interface ReportTarget {
  id: string;
  rolloutId: string;
  tenantId: string;
  gatewayId: string;
  state: string;
  toVersion: string;
  instruction: string | null;
  /** The version the gateway's presence (status message) says it runs. */
  presenceVersion: string | null;
}

export interface Transition {
  to: DeploymentState;
  /** States the deployment may be in for the transition to apply. */
  from: readonly DeploymentState[];
  progress?: number;
  runningVersion: string;
  errorCode?: string | null;
  errorMessage?: string | null;
  committed?: boolean;
}

export interface TransitionResult {
  id: string;
  rolloutId: string;
  tenantId: string;
  state: string;
  changed: boolean;
}

/** A deployment of a reconnected gateway whose instruction may need sending again. */
export interface ResendTarget {
  deploymentId: string;
  rolloutId: string;
  gatewayId: string;
  action: OtaAction;
}

const ts = (date: Date): SQL => sql`${date.toISOString()}::timestamptz`;

function rowsOf<T>(result: unknown): T[] {
  return (result as { rows?: T[] }).rows ?? [];
}

@Injectable()
export class DeploymentsRepository {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  /** The deployment, only if it belongs to this gateway and was instructed. */
  async findForReport(id: string, gatewayId: string): Promise<ReportTarget | undefined> {
    const [row] = await this.db
      .select({
        id: deployments.id,
        rolloutId: deployments.rolloutId,
        tenantId: deployments.tenantId,
        gatewayId: deployments.gatewayId,
        state: deployments.state,
        toVersion: deployments.toVersion,
        instruction: deployments.instruction,
        presenceVersion: gateways.firmwareVersion,
      })
      .from(deployments)
      .innerJoin(gateways, eq(gateways.id, deployments.gatewayId))
      .where(
        and(
          eq(deployments.id, id),
          eq(deployments.gatewayId, gatewayId),
          sql`${deployments.startedAt} is not null`,
        ),
      );
    return row;
  }

  /**
   * Moves the deployment to `to` only from the allowed states (a late or duplicate report never
   * moves a finished deployment backwards); the phase clock restarts only when the state changes.
   * Whatever happens, the running version the gateway reported is kept.
   */
  async transition(id: string, t: Transition, now: Date): Promise<TransitionResult | undefined> {
    const terminal = ['succeeded', 'failed', 'rolled_back', 'canceled', 'timed_out'].includes(t.to);
    const applies = sql`o.state in (${sql.join(
      t.from.map((s) => sql`${s}`),
      sql`, `,
    )})`;
    const progress =
      t.progress !== undefined
        ? sql`${Math.round(t.progress)}::int`
        : sql`case when o.state <> ${t.to} then 0 else d.progress end`;
    const result = await this.db.execute(sql`
      with o as (select id, state from ${deployments} where id = ${id} for update)
      update ${deployments} d set
        state = case when ${applies} then ${t.to} else d.state end,
        phase_started_at = case when ${applies} and o.state <> ${t.to}
          then ${ts(now)} else d.phase_started_at end,
        progress = case when ${applies} then ${progress} else d.progress end,
        finished_at = ${terminal ? sql`case when ${applies} then ${ts(now)} else d.finished_at end` : sql`d.finished_at`},
        committed_at = ${t.committed ? sql`case when ${applies} then coalesce(d.committed_at, ${ts(now)}) else d.committed_at end` : sql`d.committed_at`},
        error_code = ${t.errorCode !== undefined ? sql`case when ${applies} then ${t.errorCode} else d.error_code end` : sql`d.error_code`},
        error_message = ${t.errorMessage !== undefined ? sql`case when ${applies} then ${t.errorMessage} else d.error_message end` : sql`d.error_message`},
        running_version = ${t.runningVersion},
        updated_at = ${ts(now)}
      from o
      where d.id = o.id
      returning d.id, d.rollout_id as "rolloutId", d.tenant_id as "tenantId", d.state,
        (o.state <> d.state) as changed`);
    return rowsOf<TransitionResult>(result)[0];
  }

  /**
   * Deployments of this gateway that reported the new version committed and whose presence now
   * shows it running: succeeded.
   */
  async confirmCommitted(gatewayId: string, now: Date): Promise<TransitionResult[]> {
    return rowsOf<TransitionResult>(
      await this.db.execute(sql`
        update ${deployments} d set state = 'succeeded', finished_at = ${ts(now)},
          updated_at = ${ts(now)}, progress = 100
        from ${gateways} g
        where d.gateway_id = ${gatewayId} and g.id = d.gateway_id and d.state = 'verifying'
          and d.committed_at is not null and g.firmware_version = d.to_version
        returning d.id, d.rollout_id as "rolloutId", d.tenant_id as "tenantId", d.state, true as changed`),
    );
  }

  /**
   * Instructed deployments of a gateway still in a download phase (it may have lost them while
   * away), re-armed for sending unless they were sent within `minAgeMs`.
   */
  async resendable(gatewayId: string, now: Date, minAgeMs: number): Promise<ResendTarget[]> {
    return rowsOf<ResendTarget>(
      await this.db.execute(sql`
        update ${deployments} d set instructed_at = ${ts(now)}
        from ${rollouts} r
        where d.gateway_id = ${gatewayId} and r.id = d.rollout_id
          and d.state in ('scheduled', 'downloading', 'downloaded') and d.instruction in ('download', 'install')
          and d.instructed_at < ${ts(new Date(now.getTime() - minAgeMs))}
        returning d.id as "deploymentId", d.rollout_id as "rolloutId", d.gateway_id as "gatewayId",
          d.instruction as action`),
    );
  }

  /** One deployment re-armed for sending (a gateway asked for a fresh download URL). */
  async rearm(id: string, now: Date, minAgeMs: number): Promise<ResendTarget | undefined> {
    return rowsOf<ResendTarget>(
      await this.db.execute(sql`
        update ${deployments} set instructed_at = ${ts(now)}
        where id = ${id} and state in ('scheduled', 'downloading', 'downloaded')
          and instruction in ('download', 'install')
          and instructed_at < ${ts(new Date(now.getTime() - minAgeMs))}
        returning id as "deploymentId", rollout_id as "rolloutId", gateway_id as "gatewayId",
          instruction as action`),
    )[0];
  }

  /** Deployment states counted per rollout (for progress events). */
  async stateCounts(rolloutId: string): Promise<Record<string, number>> {
    const rows = await this.db
      .select({ state: deployments.state, count: sql<number>`count(*)::int` })
      .from(deployments)
      .where(eq(deployments.rolloutId, rolloutId))
      .groupBy(deployments.state);
    return Object.fromEntries(rows.map((r) => [r.state, r.count]));
  }

  async rolloutStates(
    ids: readonly string[],
  ): Promise<{ id: string; tenantId: string; state: string; currentWave: number }[]> {
    if (ids.length === 0) return [];
    return this.db
      .select({
        id: rollouts.id,
        tenantId: rollouts.tenantId,
        state: rollouts.state,
        currentWave: rollouts.currentWave,
      })
      .from(rollouts)
      .where(inArray(rollouts.id, [...ids]));
  }
}
