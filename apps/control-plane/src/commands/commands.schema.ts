import { sql } from 'drizzle-orm';
import {
  index,
  integer,
  jsonb,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { devices, gateways } from '../database/schema.js';

/**
 * An operator's command: what to run, on which devices (as resolved when it was accepted), with
 * which parameters. Recorded with all its executions before anything is queued (outbox).
 */
export const commands = pgTable(
  'commands',
  {
    id: uuid('id').primaryKey(),
    tenantId: text('tenant_id').notNull(),
    createdByUserId: uuid('created_by_user_id'),
    createdByName: text('created_by_name'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    /** The profile command name, e.g. `setDim`. */
    command: text('command').notNull(),
    params: jsonb('params').notNull(),
    /** How the target was given: `{ deviceIds: [...] }` or `{ selector: 'site=...' }`. */
    target: jsonb('target').notNull(),
    priority: integer('priority').notNull().default(50),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    idempotencyKey: text('idempotency_key'),
    /** active | completed | canceled */
    state: text('state').notNull().default('active'),
    deviceCount: integer('device_count').notNull(),
    requestId: text('request_id'),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
  },
  (t) => [
    uniqueIndex('commands_tenant_idempotency_key')
      .on(t.tenantId, t.idempotencyKey)
      .where(sql`${t.idempotencyKey} is not null`),
    index('commands_tenant_created_idx').on(t.tenantId, t.id),
    index('commands_active_idx')
      .on(t.state)
      .where(sql`${t.state} = 'active'`),
  ],
);

/**
 * One device's run of a command. States: queued → sent → delivered → succeeded | failed |
 * timed_out | expired | canceled; transitions are guarded in SQL, so a late report never moves a
 * finished execution.
 */
export const commandExecutions = pgTable(
  'command_executions',
  {
    id: uuid('id').primaryKey(),
    commandId: uuid('command_id')
      .notNull()
      .references(() => commands.id, { onDelete: 'cascade' }),
    tenantId: text('tenant_id').notNull(),
    gatewayId: uuid('gateway_id')
      .notNull()
      .references(() => gateways.id, { onDelete: 'cascade' }),
    deviceId: uuid('device_id')
      .notNull()
      .references(() => devices.id, { onDelete: 'cascade' }),
    state: text('state').notNull().default('queued'),
    /** Deliveries attempted (transient faults retry with backoff). */
    attempts: integer('attempts').notNull().default(0),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
    sentAt: timestamp('sent_at', { withTimezone: true }),
    deliveredAt: timestamp('delivered_at', { withTimezone: true }),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
    /** The device's answer: read values, write-verify outcome. */
    result: jsonb('result'),
    errorCode: text('error_code'),
    errorMessage: text('error_message'),
  },
  (t) => [
    index('command_executions_command_state_idx').on(t.commandId, t.state),
    index('command_executions_gateway_state_idx').on(t.gatewayId, t.state),
    index('command_executions_device_idx').on(t.deviceId, t.createdAt),
  ],
);
