import { Inject, Injectable } from '@nestjs/common';
import { and, asc, desc, eq, gte, lte, sql } from 'drizzle-orm';
import type { Database } from '../database/database.adapter.js';
import { DATABASE } from '../database/database.tokens.js';
import { deviceHealth, deviceState, telemetry } from '../database/schema.js';

export interface ReadingRow {
  tenantId: string;
  deviceId: string;
  point: string;
  ts: Date;
  value: unknown;
}

export interface HealthRow {
  tenantId: string;
  deviceId: string;
  state: string;
  ts: Date;
  error: unknown;
}

@Injectable()
export class TelemetryRepository {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  /**
   * One statement per batch (arrays unnested server-side), duplicates from at-least-once delivery
   * ignored; then the latest-state table moves forward only.
   */
  async write(rows: readonly ReadingRow[]): Promise<number> {
    if (rows.length === 0) return 0;
    // Each column goes as ONE array parameter (drizzle would expand a bare JS array into a list).
    const tenants = rows.map((r) => r.tenantId);
    const ids = rows.map((r) => r.deviceId);
    const points = rows.map((r) => r.point);
    const stamps = rows.map((r) => r.ts.toISOString());
    const nums = rows.map((r) =>
      typeof r.value === 'number' && Number.isFinite(r.value) ? r.value : null,
    );
    const vals = rows.map((r) => (typeof r.value === 'number' ? null : JSON.stringify(r.value)));
    return this.db.transaction(async (tx) => {
      const inserted = await tx.execute<{ n: number }>(sql`
        with input as (
          select * from unnest(${sql.param(tenants)}::text[], ${sql.param(ids)}::uuid[], ${sql.param(points)}::text[], ${sql.param(stamps)}::timestamptz[], ${sql.param(nums)}::float8[], ${sql.param(vals)}::jsonb[])
            as t(tenant_id, device_id, point, ts, num, val)
        ), written as (
          insert into ${telemetry} (tenant_id, device_id, point, ts, num, val)
          select tenant_id, device_id, point, ts, num, val from input
          on conflict do nothing
          returning 1
        )
        select count(*)::int as n from written`);
      await tx.execute(sql`
        insert into ${deviceState} (tenant_id, device_id, point, ts, value)
        select distinct on (device_id, point) tenant_id, device_id, point, ts, coalesce(val, to_jsonb(num))
        from unnest(${sql.param(tenants)}::text[], ${sql.param(ids)}::uuid[], ${sql.param(points)}::text[], ${sql.param(stamps)}::timestamptz[], ${sql.param(nums)}::float8[], ${sql.param(vals)}::jsonb[])
          as t(tenant_id, device_id, point, ts, num, val)
        where exists (select 1 from devices d where d.id = t.device_id)
        order by device_id, point, ts desc
        on conflict (device_id, point) do update set ts = excluded.ts, value = excluded.value
        where ${deviceState.ts} < excluded.ts`);
      return rowsOf<{ n: number }>(inserted)[0]?.n ?? 0;
    });
  }

  async writeHealth(rows: readonly HealthRow[]): Promise<void> {
    for (const row of rows) {
      await this.db
        .insert(deviceHealth)
        .values({
          deviceId: row.deviceId,
          tenantId: row.tenantId,
          state: row.state,
          ts: row.ts,
          error: row.error ?? null,
        })
        .onConflictDoUpdate({
          target: deviceHealth.deviceId,
          set: { state: row.state, ts: row.ts, error: row.error ?? null },
          setWhere: sql`${deviceHealth.ts} < ${row.ts}`,
        })
        .catch((error: unknown) => {
          // The device may have been removed since the gateway reported it.
          if ((error as { code?: string; cause?: { code?: string } }).cause?.code !== '23503')
            throw error;
        });
    }
  }

  async latest(tenantId: string, deviceId: string) {
    return this.db
      .select({ point: deviceState.point, ts: deviceState.ts, value: deviceState.value })
      .from(deviceState)
      .where(and(eq(deviceState.tenantId, tenantId), eq(deviceState.deviceId, deviceId)))
      .orderBy(asc(deviceState.point));
  }

  async health(tenantId: string, deviceId: string) {
    const [row] = await this.db
      .select({ state: deviceHealth.state, ts: deviceHealth.ts, error: deviceHealth.error })
      .from(deviceHealth)
      .where(and(eq(deviceHealth.tenantId, tenantId), eq(deviceHealth.deviceId, deviceId)));
    return row;
  }

  async history(
    tenantId: string,
    deviceId: string,
    point: string,
    from: Date,
    to: Date,
    limit: number,
  ) {
    return this.db
      .select({ ts: telemetry.ts, num: telemetry.num, val: telemetry.val })
      .from(telemetry)
      .where(
        and(
          eq(telemetry.deviceId, deviceId),
          eq(telemetry.tenantId, tenantId),
          eq(telemetry.point, point),
          gte(telemetry.ts, from),
          lte(telemetry.ts, to),
        ),
      )
      .orderBy(desc(telemetry.ts))
      .limit(limit);
  }

  /** Deletes readings older than the cutoff, a bounded batch at a time; returns how many went. */
  async deleteOlderThan(cutoff: Date, batch = 10_000): Promise<number> {
    const result = await this.db.execute<{ n: number }>(sql`
      with doomed as (select ctid from ${telemetry} where ts < ${cutoff.toISOString()}::timestamptz limit ${batch}),
      gone as (delete from ${telemetry} where ctid in (select ctid from doomed) returning 1)
      select count(*)::int as n from gone`);
    return rowsOf<{ n: number }>(result)[0]?.n ?? 0;
  }
}

/** node-postgres and PGlite both return `{ rows }` from execute. */
function rowsOf<T>(result: unknown): T[] {
  return (result as { rows?: T[] }).rows ?? [];
}
