import { Inject, Injectable } from '@nestjs/common';
import { and, eq, inArray, isNull, lt, or, sql } from 'drizzle-orm';
import type { Database } from '../database/database.adapter.js';
import { DATABASE } from '../database/database.tokens.js';
import { gateways } from '../database/schema.js';
import { NOT_STARTED_CODE } from './command-states.js';
import { commandExecutions, commands } from './commands.schema.js';

export interface ClaimedExecution {
  id: string;
  deviceId: string;
}

/** One finished execution as a gateway reported it, ready for the guarded update. */
export interface ReportedResult {
  id: string;
  outcome: 'succeeded' | 'failed' | 'timed_out';
  result: Record<string, unknown> | null;
  errorCode: string | null;
  errorMessage: string | null;
}

export interface StateCountRow {
  commandId: string;
  state: string;
  count: number;
}

export interface FinishedCommand {
  id: string;
  tenantId: string;
  state: string;
}

export interface UnfinishedCommand {
  id: string;
  tenantId: string;
  state: string;
  createdAt: Date;
  expiresAt: Date;
}

const UNFINISHED = ['queued', 'sent', 'delivered'];

function rowsOf<T>(result: unknown): T[] {
  return (result as { rows: T[] }).rows;
}

/**
 * Every state change of executions, each one guarded UPDATE on the current state (so a late or
 * duplicate report, a second worker or a redelivered job never moves a finished execution), and
 * the reads the dispatcher, the reconciler and progress need.
 */
@Injectable()
export class CommandExecutionsRepository {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  async command(commandId: string): Promise<typeof commands.$inferSelect | undefined> {
    const [row] = await this.db.select().from(commands).where(eq(commands.id, commandId));
    return row;
  }

  /** Whether a gateway is active and connected now. */
  async gatewayOnline(gatewayId: string): Promise<boolean> {
    const [row] = await this.db
      .select({ lifecycle: gateways.lifecycle, connectivity: gateways.connectivity })
      .from(gateways)
      .where(eq(gateways.id, gatewayId));
    return row?.lifecycle === 'active' && row.connectivity === 'online';
  }

  /**
   * Takes the executions of one command on one gateway that should go out now: queued ones, and
   * sent ones not acknowledged since `staleBefore`. They become `sent` at `sentAt` in the same
   * statement, so two workers never send the same execution.
   */
  async claimForSend(
    commandId: string,
    gatewayId: string,
    staleBefore: Date,
    sentAt: Date,
  ): Promise<ClaimedExecution[]> {
    return this.db
      .update(commandExecutions)
      .set({
        state: 'sent',
        attempts: sql`${commandExecutions.attempts} + 1`,
        sentAt,
        updatedAt: sentAt,
      })
      .where(
        and(
          eq(commandExecutions.commandId, commandId),
          eq(commandExecutions.gatewayId, gatewayId),
          or(
            eq(commandExecutions.state, 'queued'),
            and(eq(commandExecutions.state, 'sent'), lt(commandExecutions.sentAt, staleBefore)),
          ),
        ),
      )
      .returning({ id: commandExecutions.id, deviceId: commandExecutions.deviceId });
  }

  /** Puts back what a failed publish had claimed (only if nothing moved it since). */
  async unclaim(ids: readonly string[], sentAt: Date): Promise<void> {
    if (ids.length === 0) return;
    await this.db
      .update(commandExecutions)
      .set({ state: 'queued', updatedAt: sql`now()` })
      .where(
        and(
          inArray(commandExecutions.id, [...ids]),
          eq(commandExecutions.state, 'sent'),
          eq(commandExecutions.sentAt, sentAt),
        ),
      );
  }

  /** `cmd/ack`: queued/sent → delivered, for this gateway's executions only. Returns the commands touched. */
  async markDelivered(gatewayId: string, ids: readonly string[]): Promise<string[]> {
    if (ids.length === 0) return [];
    const rows = await this.db
      .update(commandExecutions)
      .set({ state: 'delivered', deliveredAt: sql`now()`, updatedAt: sql`now()` })
      .where(
        and(
          eq(commandExecutions.gatewayId, gatewayId),
          inArray(commandExecutions.id, [...ids]),
          inArray(commandExecutions.state, ['queued', 'sent']),
        ),
      )
      .returning({ commandId: commandExecutions.commandId });
    return [...new Set(rows.map((r) => r.commandId))];
  }

  /**
   * `cmd/result`: unfinished → the reported outcome, for this gateway's executions only. An
   * execution the agent did not start before its deadline becomes `canceled` when its command was
   * canceled, `expired` otherwise. Returns the commands touched.
   */
  async applyResults(gatewayId: string, results: readonly ReportedResult[]): Promise<string[]> {
    if (results.length === 0) return [];
    const payload = JSON.stringify(
      results.map((r) => ({
        id: r.id,
        outcome: r.outcome,
        result: r.result,
        error_code: r.errorCode,
        error_message: r.errorMessage,
      })),
    );
    const updated = await this.db.execute(sql`
      update command_executions e set
        state = case
          when v.outcome = 'failed' and v.error_code = ${NOT_STARTED_CODE}
            then case when c.state = 'canceled' then 'canceled' else 'expired' end
          else v.outcome end,
        result = v.result,
        error_code = v.error_code,
        error_message = v.error_message,
        delivered_at = coalesce(e.delivered_at, now()),
        finished_at = now(),
        updated_at = now()
      from jsonb_to_recordset(${payload}::jsonb)
             as v(id uuid, outcome text, result jsonb, error_code text, error_message text),
           commands c
      where e.id = v.id
        and c.id = e.command_id
        and e.gateway_id = ${gatewayId}::uuid
        and e.state in ('queued', 'sent', 'delivered')
      returning e.command_id as "commandId"`);
    return [...new Set(rowsOf<{ commandId: string }>(updated).map((r) => r.commandId))];
  }

  /** At the TTL: what never reached a gateway (queued, or sent without acknowledgement) expires. */
  async expireUndelivered(commandId: string): Promise<number> {
    const rows = await this.db
      .update(commandExecutions)
      .set({
        state: 'expired',
        errorCode: 'EXPIRED',
        errorMessage: 'not delivered to the gateway before the command expired',
        finishedAt: sql`now()`,
        updatedAt: sql`now()`,
      })
      .where(
        and(
          eq(commandExecutions.commandId, commandId),
          inArray(commandExecutions.state, ['queued', 'sent']),
        ),
      )
      .returning({ id: commandExecutions.id });
    return rows.length;
  }

  /** After the grace period: delivered executions that never reported become `state`. */
  async expireUnreported(commandId: string, state: 'expired' | 'canceled'): Promise<number> {
    const rows = await this.db
      .update(commandExecutions)
      .set({
        state,
        errorCode: 'RESULT_NOT_REPORTED',
        errorMessage:
          'the gateway acknowledged the command but reported no result before it expired',
        finishedAt: sql`now()`,
        updatedAt: sql`now()`,
      })
      .where(
        and(eq(commandExecutions.commandId, commandId), eq(commandExecutions.state, 'delivered')),
      )
      .returning({ id: commandExecutions.id });
    return rows.length;
  }

  /**
   * Marks commands whose executions are all final: `active` ones become `completed`, canceled
   * ones stay canceled; both get their finish time. Returns those that just finished.
   */
  async finishIfDone(commandIds: readonly string[]): Promise<FinishedCommand[]> {
    if (commandIds.length === 0) return [];
    return this.db
      .update(commands)
      .set({
        state: sql`case when ${commands.state} = 'active' then 'completed' else ${commands.state} end`,
        finishedAt: sql`now()`,
      })
      .where(
        and(
          inArray(commands.id, [...commandIds]),
          isNull(commands.finishedAt),
          sql`not exists (select 1 from command_executions e
                          where e.command_id = ${commands.id}
                            and e.state in ('queued', 'sent', 'delivered'))`,
        ),
      )
      .returning({ id: commands.id, tenantId: commands.tenantId, state: commands.state });
  }

  /** Counts by state, from the executions themselves (never from events). */
  async counts(commandIds: readonly string[]): Promise<StateCountRow[]> {
    if (commandIds.length === 0) return [];
    return this.db
      .select({
        commandId: commandExecutions.commandId,
        state: commandExecutions.state,
        count: sql<number>`count(*)::int`,
      })
      .from(commandExecutions)
      .where(inArray(commandExecutions.commandId, [...commandIds]))
      .groupBy(commandExecutions.commandId, commandExecutions.state);
  }

  /** Commands that still have work: active ones, and canceled ones with unfinished executions. */
  async unfinishedCommands(): Promise<UnfinishedCommand[]> {
    return this.db
      .select({
        id: commands.id,
        tenantId: commands.tenantId,
        state: commands.state,
        createdAt: commands.createdAt,
        expiresAt: commands.expiresAt,
      })
      .from(commands)
      .where(
        or(
          eq(commands.state, 'active'),
          and(eq(commands.state, 'canceled'), isNull(commands.finishedAt)),
        ),
      );
  }

  /**
   * (command, gateway) pairs with something to send to a gateway that is online now: executions
   * queued or sent (and not acknowledged) before `staleBefore`, of active unexpired commands.
   */
  async pendingDispatches(staleBefore: Date): Promise<{ commandId: string; gatewayId: string }[]> {
    return this.db
      .selectDistinct({
        commandId: commandExecutions.commandId,
        gatewayId: commandExecutions.gatewayId,
      })
      .from(commands)
      .innerJoin(commandExecutions, eq(commandExecutions.commandId, commands.id))
      .innerJoin(gateways, eq(gateways.id, commandExecutions.gatewayId))
      .where(
        and(
          eq(commands.state, 'active'),
          sql`${commands.expiresAt} > now()`,
          eq(gateways.lifecycle, 'active'),
          eq(gateways.connectivity, 'online'),
          or(
            and(
              eq(commandExecutions.state, 'queued'),
              lt(commandExecutions.updatedAt, staleBefore),
            ),
            and(eq(commandExecutions.state, 'sent'), lt(commandExecutions.sentAt, staleBefore)),
          ),
        ),
      );
  }

  /** Active, unexpired commands with queued or sent executions on this gateway. */
  async commandsAwaiting(gatewayId: string): Promise<string[]> {
    const rows = await this.db
      .selectDistinct({ commandId: commandExecutions.commandId })
      .from(commandExecutions)
      .innerJoin(commands, eq(commands.id, commandExecutions.commandId))
      .where(
        and(
          eq(commandExecutions.gatewayId, gatewayId),
          inArray(commandExecutions.state, ['queued', 'sent']),
          eq(commands.state, 'active'),
          sql`${commands.expiresAt} > now()`,
        ),
      );
    return rows.map((r) => r.commandId);
  }

  /** Whether any execution of the command is still unfinished. */
  async hasUnfinished(commandId: string, states: readonly string[] = UNFINISHED): Promise<boolean> {
    const [row] = await this.db
      .select({ id: commandExecutions.id })
      .from(commandExecutions)
      .where(
        and(
          eq(commandExecutions.commandId, commandId),
          inArray(commandExecutions.state, [...states]),
        ),
      )
      .limit(1);
    return row !== undefined;
  }
}
