import { Inject, Injectable } from '@nestjs/common';
import type { GatewaySelectorKey, Selector } from '@fleet/contracts';
import { and, eq, sql, type SQL } from 'drizzle-orm';
import type { Database } from '../database/database.adapter.js';
import { DATABASE } from '../database/database.tokens.js';
import { gateways } from '../database/schema.js';
import { gatewaySelectorCondition } from '../registry/selector.sql.js';
import { deployments, firmwareReleases, rollouts } from './firmware.schema.js';
import type { ReleaseRow } from './releases.repository.js';
import {
  emptyTally,
  type DeploymentState,
  type PhaseTimeouts,
  type WaveTally,
} from './rollout-policy.js';
import type {
  CandidateGateway,
  NewDeployment,
  RolloutRow,
  StoppedDeployment,
} from './rollouts.repository.js';

type Tx = Parameters<Parameters<Database['transaction']>[0]>[0];

export type OtaAction = 'download' | 'install';

/** A deployment to tell something now. */
export interface Instruction {
  deploymentId: string;
  gatewayId: string;
  action: OtaAction;
}

/** A waiting deployment with what the start-time compatibility check needs. */
export interface StartCandidate {
  deploymentId: string;
  gatewayId: string;
  model: string;
  hardwareRevision: string;
  firmwareVersion: string | null;
}

export interface TimedOut {
  id: string;
  gatewayId: string;
  /** The phase it was stuck in; the cancelable ones get a `cancel` downlink. */
  phase: DeploymentState;
}

export interface RolloutCounters {
  waves: Map<number, WaveTally>;
  recentFailed: number;
  recentFinished: number;
  startedLastMinute: number;
  installsInFlight: number;
  downloadsInFlight: number;
  active: number;
}

const ts = (date: Date): SQL => sql`${date.toISOString()}::timestamptz`;
const list = (values: readonly string[]): SQL =>
  sql.join(
    values.map((v) => sql`${v}`),
    sql`, `,
  );

function rowsOf<T>(result: unknown): T[] {
  return (result as { rows?: T[] }).rows ?? [];
}

/**
 * One rollout locked for one tick (`SELECT ... FOR UPDATE`): replicas evaluate a rollout one at a
 * time, and every deployment claim is a guarded update, so no gateway is instructed twice.
 */
export class LockedRollout {
  constructor(
    private readonly tx: Tx,
    readonly rollout: RolloutRow,
  ) {}

  /** The rollout's release, read in the same transaction. */
  async release(): Promise<ReleaseRow> {
    const [row] = await this.tx
      .select()
      .from(firmwareReleases)
      .where(eq(firmwareReleases.id, this.rollout.releaseId));
    return row;
  }

  /** Phases that overran their timeout become timed_out (a failure). */
  async timeOutStale(now: Date, t: PhaseTimeouts): Promise<TimedOut[]> {
    const before = (seconds: number) => ts(new Date(now.getTime() - seconds * 1000));
    const result = await this.tx.execute(sql`
      with stale as (
        select id, state from ${deployments}
        where rollout_id = ${this.rollout.id} and (
          (state = 'scheduled' and instruction is not null and started_at < ${before(t.downloading)})
          or (state = 'downloading' and phase_started_at < ${before(t.downloading)})
          or (state = 'downloaded' and instruction = 'install' and phase_started_at < ${before(t.installing)})
          or (state = 'installing' and phase_started_at < ${before(t.installing)})
          or (state = 'rebooting' and phase_started_at < ${before(t.rebooting)})
          or (state = 'verifying' and phase_started_at < ${before(t.verifying)}))
        for update)
      update ${deployments} d set
        state = 'timed_out',
        finished_at = ${ts(now)},
        updated_at = ${ts(now)},
        error_code = 'PHASE_TIMEOUT',
        error_message = case
          when s.state = 'scheduled' then 'no report from the gateway within ' || ${t.downloading} || ' s of the instruction'
          when s.state = 'downloaded' then 'installation did not start within ' || ${t.installing} || ' s'
          else 'phase ' || s.state || ' took longer than ' || (case s.state
            when 'downloading' then ${t.downloading} when 'installing' then ${t.installing}
            when 'rebooting' then ${t.rebooting} else ${t.verifying} end) || ' s' end
      from stale s
      where d.id = s.id
      returning d.id, d.gateway_id as "gatewayId", s.state as phase`);
    return rowsOf<TimedOut>(result);
  }

  /** Committed deployments whose gateway's presence now shows the new version: succeeded. */
  async confirmCommitted(now: Date): Promise<number> {
    const result = await this.tx.execute(sql`
      update ${deployments} d set state = 'succeeded', finished_at = ${ts(now)},
        updated_at = ${ts(now)}, progress = 100
      from ${gateways} g
      where d.rollout_id = ${this.rollout.id} and g.id = d.gateway_id and d.state = 'verifying'
        and d.committed_at is not null and g.firmware_version = d.to_version
      returning d.id`);
    return rowsOf(result).length;
  }

  async counters(now: Date): Promise<RolloutCounters> {
    const grouped = rowsOf<{
      wave: number;
      state: string;
      instructed: boolean;
      online: boolean;
      n: number;
    }>(
      await this.tx.execute(sql`
        select d.wave, d.state, d.instruction is not null as instructed,
          (g.connectivity = 'online' and g.lifecycle = 'active') as online, count(*)::int as n
        from ${deployments} d join ${gateways} g on g.id = d.gateway_id
        where d.rollout_id = ${this.rollout.id}
        group by 1, 2, 3, 4`),
    );
    const waves = new Map<number, WaveTally>();
    let active = 0;
    for (const row of grouped) {
      const tally = waves.get(row.wave) ?? emptyTally();
      waves.set(row.wave, tally);
      tally.total += row.n;
      if (row.state === 'succeeded') tally.succeeded += row.n;
      else if (row.state === 'canceled') tally.canceled += row.n;
      else if (row.state === 'failed' || row.state === 'rolled_back' || row.state === 'timed_out')
        tally.failed += row.n;
      else {
        active += row.n;
        if (row.instructed || row.state !== 'scheduled') tally.inFlight += row.n;
        else if (row.online) tally.waitingOnline += row.n;
        else tally.waitingOffline += row.n;
      }
    }
    const since = this.rollout.failuresCountedSince ?? new Date(0);
    const [totals] = rowsOf<{
      recentFailed: number;
      recentFinished: number;
      startedLastMinute: number;
      installsInFlight: number;
      downloadsInFlight: number;
    }>(
      await this.tx.execute(sql`
        select
          count(*) filter (where state in ('failed', 'rolled_back', 'timed_out')
            and finished_at >= ${ts(since)})::int as "recentFailed",
          count(*) filter (where state in ('succeeded', 'failed', 'rolled_back', 'timed_out')
            and finished_at >= ${ts(since)})::int as "recentFinished",
          count(*) filter (where started_at >= ${ts(new Date(now.getTime() - 60_000))})::int
            as "startedLastMinute",
          count(*) filter (where instruction = 'install'
            and state in ('scheduled', 'downloading', 'downloaded', 'installing', 'rebooting', 'verifying'))::int
            as "installsInFlight",
          count(*) filter (where instruction = 'download' and state in ('scheduled', 'downloading'))::int
            as "downloadsInFlight"
        from ${deployments} where rollout_id = ${this.rollout.id}`),
    );
    return {
      waves,
      active,
      recentFailed: totals?.recentFailed ?? 0,
      recentFinished: totals?.recentFinished ?? 0,
      startedLastMinute: totals?.startedLastMinute ?? 0,
      installsInFlight: totals?.installsInFlight ?? 0,
      downloadsInFlight: totals?.downloadsInFlight ?? 0,
    };
  }

  /** Deployments of waves up to `maxWave` not instructed yet whose gateway is online, in wave order. */
  async waitingOnline(maxWave: number, limit: number): Promise<StartCandidate[]> {
    if (limit <= 0) return [];
    return this.tx
      .select({
        deploymentId: deployments.id,
        gatewayId: deployments.gatewayId,
        model: gateways.model,
        hardwareRevision: gateways.hardwareRevision,
        firmwareVersion: gateways.firmwareVersion,
      })
      .from(deployments)
      .innerJoin(gateways, eq(gateways.id, deployments.gatewayId))
      .where(
        and(
          eq(deployments.rolloutId, this.rollout.id),
          eq(deployments.state, 'scheduled'),
          sql`${deployments.instruction} is null`,
          sql`${deployments.wave} <= ${maxWave}`,
          eq(gateways.connectivity, 'online'),
          eq(gateways.lifecycle, 'active'),
        ),
      )
      .orderBy(deployments.wave, deployments.id)
      .limit(limit);
  }

  /** Marks waiting deployments as started with `action`; only those still waiting are returned. */
  async start(ids: readonly string[], action: OtaAction, now: Date): Promise<Instruction[]> {
    if (ids.length === 0) return [];
    const rows = rowsOf<{ id: string; gatewayId: string }>(
      await this.tx.execute(sql`
        update ${deployments} set instruction = ${action}, instructed_at = ${ts(now)},
          started_at = ${ts(now)}, phase_started_at = ${ts(now)}, attempts = attempts + 1,
          updated_at = ${ts(now)}
        where rollout_id = ${this.rollout.id} and id in (${list(ids)})
          and state = 'scheduled' and instruction is null
        returning id, gateway_id as "gatewayId"`),
    );
    return rows.map((r) => ({ deploymentId: r.id, gatewayId: r.gatewayId, action }));
  }

  /** A waiting deployment the gateway cannot take any more (changed model, already updated...). */
  async skip(id: string, code: string, message: string, now: Date): Promise<void> {
    await this.tx
      .update(deployments)
      .set({
        state: 'canceled',
        errorCode: code,
        errorMessage: message,
        finishedAt: now,
        updatedAt: now,
      })
      .where(and(eq(deployments.id, id), eq(deployments.state, 'scheduled')));
  }

  /** Downloaded ahead of the window: now told to install (its install phase starts now). */
  async promoteToInstall(limit: number, now: Date): Promise<Instruction[]> {
    if (limit <= 0) return [];
    const rows = rowsOf<{ id: string; gatewayId: string }>(
      await this.tx.execute(sql`
        update ${deployments} set instruction = 'install', instructed_at = ${ts(now)},
          phase_started_at = ${ts(now)}, updated_at = ${ts(now)}
        where id in (
          select id from ${deployments}
          where rollout_id = ${this.rollout.id} and state = 'downloaded' and instruction = 'download'
          order by wave, id limit ${limit})
        returning id, gateway_id as "gatewayId"`),
    );
    return rows.map((r) => ({ deploymentId: r.id, gatewayId: r.gatewayId, action: 'install' }));
  }

  /**
   * Instructions with no sign of arrival (no report at all, or still `downloaded` after an install
   * instruction) to online gateways, older than `before`: sent again (the agent dedupes).
   */
  async unanswered(before: Date, now: Date): Promise<Instruction[]> {
    const rows = rowsOf<{ id: string; gatewayId: string; action: OtaAction }>(
      await this.tx.execute(sql`
        update ${deployments} d set instructed_at = ${ts(now)}
        from ${gateways} g
        where d.rollout_id = ${this.rollout.id} and g.id = d.gateway_id and g.connectivity = 'online'
          and d.instructed_at < ${ts(before)}
          and ((d.state = 'scheduled' and d.instruction is not null)
            or (d.state = 'downloaded' and d.instruction = 'install'))
        returning d.id, d.gateway_id as "gatewayId", d.instruction as action`),
    );
    return rows.map((r) => ({ deploymentId: r.id, gatewayId: r.gatewayId, action: r.action }));
  }

  /** Gateways matching the selector now that are in no deployment of this rollout nor busy elsewhere. */
  async lateJoiners(selector: Selector<GatewaySelectorKey>): Promise<CandidateGateway[]> {
    return this.tx
      .select({
        id: gateways.id,
        name: gateways.name,
        siteId: gateways.siteId,
        model: gateways.model,
        hardwareRevision: gateways.hardwareRevision,
        firmwareVersion: gateways.firmwareVersion,
        connectivity: gateways.connectivity,
        busyIn: sql<string | null>`null`,
      })
      .from(gateways)
      .where(
        and(
          eq(gateways.tenantId, this.rollout.tenantId),
          eq(gateways.lifecycle, 'active'),
          gatewaySelectorCondition(selector),
          sql`not exists (select 1 from ${deployments} d where d.gateway_id = "gateways"."id"
            and (d.rollout_id = ${this.rollout.id}
              or (d.state in ('scheduled', 'downloading', 'downloaded', 'installing', 'rebooting', 'verifying')
                and exists (select 1 from ${rollouts} r where r.id = d.rollout_id
                  and r.state in ('scheduled', 'running', 'paused')))))`,
        ),
      )
      .limit(10_000);
  }

  async addDeployments(rows: readonly NewDeployment[], toVersion: string): Promise<void> {
    for (let i = 0; i < rows.length; i += 1000) {
      await this.tx
        .insert(deployments)
        .values(
          rows.slice(i, i + 1000).map((r) => ({
            id: r.id,
            rolloutId: this.rollout.id,
            tenantId: this.rollout.tenantId,
            gatewayId: r.gatewayId,
            wave: r.wave,
            fromVersion: r.fromVersion,
            toVersion,
          })),
        )
        .onConflictDoNothing();
    }
  }

  /** Cancels what has not switched slots yet (a stop by the failure threshold). */
  async cancelPending(code: string, reason: string, now: Date): Promise<StoppedDeployment[]> {
    return rowsOf<StoppedDeployment>(
      await this.tx.execute(sql`
        update ${deployments} set state = 'canceled', error_code = ${code}, error_message = ${reason},
          finished_at = ${ts(now)}, updated_at = ${ts(now)}
        where rollout_id = ${this.rollout.id} and state in ('scheduled', 'downloading', 'downloaded')
        returning id, rollout_id as "rolloutId", gateway_id as "gatewayId",
          instruction is not null as instructed`),
    );
  }

  async update(
    patch: Partial<Pick<RolloutRow, 'state' | 'currentWave' | 'stateReason' | 'finishedAt'>>,
    now: Date,
  ): Promise<void> {
    await this.tx
      .update(rollouts)
      .set({ ...patch, updatedAt: now })
      .where(eq(rollouts.id, this.rollout.id));
  }
}

@Injectable()
export class OrchestrationRepository {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  /** Runs `work` with the rollout row locked; undefined when the rollout does not exist. */
  async withLockedRollout<T>(
    rolloutId: string,
    work: (locked: LockedRollout) => Promise<T>,
  ): Promise<T | undefined> {
    return this.db.transaction(async (tx) => {
      const [row] = await tx
        .select()
        .from(rollouts)
        .where(eq(rollouts.id, rolloutId))
        .for('update');
      if (!row) return undefined;
      return work(new LockedRollout(tx, row));
    });
  }
}
