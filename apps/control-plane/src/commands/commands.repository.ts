import { Inject, Injectable } from '@nestjs/common';
import { and, asc, desc, eq, getTableColumns, inArray, lt, gt, sql } from 'drizzle-orm';
import type { Database } from '../database/database.adapter.js';
import { DATABASE } from '../database/database.tokens.js';
import { devices } from '../database/schema.js';
import { commandExecutions, commands } from './commands.schema.js';

export type CommandRow = typeof commands.$inferSelect;
export type NewCommandRow = typeof commands.$inferInsert;

export interface NewExecution {
  id: string;
  gatewayId: string;
  deviceId: string;
}

export interface ExecutionRow {
  id: string;
  deviceId: string;
  deviceName: string | null;
  gatewayId: string;
  state: string;
  attempts: number;
  createdAt: Date;
  updatedAt: Date;
  sentAt: Date | null;
  deliveredAt: Date | null;
  finishedAt: Date | null;
  result: unknown;
  errorCode: string | null;
  errorMessage: string | null;
}

export interface CanceledExecution {
  id: string;
  gatewayId: string;
  deviceId: string;
  /** The state before cancel: `queued`, `sent` or `delivered` (delivered ones are left to the agent). */
  previous: string;
}

/** Rows per INSERT of executions: 100,000 devices are ten statements. */
const INSERT_CHUNK = 10_000;

/** Commands as operators see them: creation (with all executions, one transaction), reads, cancel. */
@Injectable()
export class CommandsRepository {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  async findByIdempotencyKey(tenantId: string, key: string): Promise<CommandRow | undefined> {
    const [row] = await this.db
      .select()
      .from(commands)
      .where(and(eq(commands.tenantId, tenantId), eq(commands.idempotencyKey, key)));
    return row;
  }

  /**
   * The outbox write: the command and one queued execution per device, atomically. A concurrent
   * create with the same idempotency key fails here with a unique violation (nothing written).
   */
  async create(command: NewCommandRow, executions: readonly NewExecution[]): Promise<CommandRow> {
    return this.db.transaction(async (tx) => {
      const [row] = await tx.insert(commands).values(command).returning();
      for (let i = 0; i < executions.length; i += INSERT_CHUNK) {
        const chunk = executions.slice(i, i + INSERT_CHUNK);
        // Three comma-joined id lists unnested side by side: one statement, three parameters.
        await tx.execute(sql`
          insert into command_executions (id, command_id, tenant_id, gateway_id, device_id)
          select unnest(string_to_array(${chunk.map((e) => e.id).join(',')}, ','))::uuid,
                 ${command.id}::uuid,
                 ${command.tenantId},
                 unnest(string_to_array(${chunk.map((e) => e.gatewayId).join(',')}, ','))::uuid,
                 unnest(string_to_array(${chunk.map((e) => e.deviceId).join(',')}, ','))::uuid`);
      }
      return row;
    });
  }

  async find(tenantId: string, id: string): Promise<CommandRow | undefined> {
    const [row] = await this.db
      .select()
      .from(commands)
      .where(and(eq(commands.tenantId, tenantId), eq(commands.id, id)));
    return row;
  }

  /** Newest first; `before` is the last id of the previous page. */
  async list(
    tenantId: string,
    filter: { state?: string; command?: string },
    before: string | undefined,
    limit: number,
  ): Promise<CommandRow[]> {
    return this.db
      .select()
      .from(commands)
      .where(
        and(
          eq(commands.tenantId, tenantId),
          filter.state ? eq(commands.state, filter.state) : undefined,
          filter.command ? eq(commands.command, filter.command) : undefined,
          before ? lt(commands.id, before) : undefined,
        ),
      )
      .orderBy(desc(commands.id))
      .limit(limit);
  }

  /** Per-device results in execution order, optionally of one state; `after` is the last id seen. */
  async executions(
    commandId: string,
    state: string | undefined,
    after: string | undefined,
    limit: number,
  ): Promise<ExecutionRow[]> {
    const {
      id,
      deviceId,
      gatewayId,
      state: stateColumn,
      attempts,
      createdAt,
      updatedAt,
    } = getTableColumns(commandExecutions);
    return this.db
      .select({
        id,
        deviceId,
        deviceName: devices.name,
        gatewayId,
        state: stateColumn,
        attempts,
        createdAt,
        updatedAt,
        sentAt: commandExecutions.sentAt,
        deliveredAt: commandExecutions.deliveredAt,
        finishedAt: commandExecutions.finishedAt,
        result: commandExecutions.result,
        errorCode: commandExecutions.errorCode,
        errorMessage: commandExecutions.errorMessage,
      })
      .from(commandExecutions)
      .leftJoin(devices, eq(devices.id, commandExecutions.deviceId))
      .where(
        and(
          eq(commandExecutions.commandId, commandId),
          state ? eq(commandExecutions.state, state) : undefined,
          after ? gt(commandExecutions.id, after) : undefined,
        ),
      )
      .orderBy(asc(commandExecutions.id))
      .limit(limit);
  }

  /**
   * Cancels an active command: the command row, and every execution not yet delivered (guarded on
   * its state). Returns the canceled executions with their previous state, and the delivered ones
   * that the agents are asked to drop; undefined when the command was not active.
   */
  async cancel(
    tenantId: string,
    id: string,
  ): Promise<{ canceled: CanceledExecution[]; delivered: CanceledExecution[] } | undefined> {
    return this.db.transaction(async (tx) => {
      const [command] = await tx
        .update(commands)
        .set({ state: 'canceled' })
        .where(
          and(eq(commands.tenantId, tenantId), eq(commands.id, id), eq(commands.state, 'active')),
        )
        .returning({ id: commands.id });
      if (!command) return undefined;
      const canceled = await tx
        .update(commandExecutions)
        .set({
          state: 'canceled',
          errorCode: 'CANCELED',
          errorMessage: 'canceled by an operator before it ran',
          finishedAt: sql`now()`,
          updatedAt: sql`now()`,
          // Keeps the old state visible to RETURNING through a self-reference.
          result: sql`jsonb_build_object('canceledIn', ${commandExecutions.state})`,
        })
        .where(
          and(
            eq(commandExecutions.commandId, id),
            inArray(commandExecutions.state, ['queued', 'sent']),
          ),
        )
        .returning({
          id: commandExecutions.id,
          gatewayId: commandExecutions.gatewayId,
          deviceId: commandExecutions.deviceId,
          previous: sql<string>`${commandExecutions.result}->>'canceledIn'`,
        });
      const delivered = await tx
        .select({
          id: commandExecutions.id,
          gatewayId: commandExecutions.gatewayId,
          deviceId: commandExecutions.deviceId,
          previous: commandExecutions.state,
        })
        .from(commandExecutions)
        .where(and(eq(commandExecutions.commandId, id), eq(commandExecutions.state, 'delivered')));
      return { canceled, delivered };
    });
  }
}
