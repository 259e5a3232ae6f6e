import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { gateways, tenants } from '../database/schema.js';

/** Release public keys a tenant trusts for firmware signatures (several, each revocable). */
export const releaseKeys = pgTable(
  'release_keys',
  {
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id, { onDelete: 'cascade' }),
    keyId: text('key_id').notNull(),
    name: text('name').notNull(),
    publicKeyPem: text('public_key_pem').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.keyId] })],
);

/** An uploaded, verified firmware artifact and its signed manifest. */
export const firmwareReleases = pgTable(
  'firmware_releases',
  {
    id: uuid('id').primaryKey(),
    tenantId: text('tenant_id').notNull(),
    version: text('version').notNull(),
    /** agent-bundle | rauc-bundle */
    kind: text('kind').notNull(),
    /** The signed envelope exactly as uploaded ({ manifest, signature }). */
    envelope: jsonb('envelope').notNull(),
    keyId: text('key_id').notNull(),
    sha256: text('sha256').notNull(),
    sizeBytes: bigint('size_bytes', { mode: 'number' }).notNull(),
    /** Where the ArtifactStore keeps the bytes. */
    storageKey: text('storage_key').notNull(),
    releaseNotes: text('release_notes'),
    createdByUserId: uuid('created_by_user_id'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    recalledAt: timestamp('recalled_at', { withTimezone: true }),
    recallReason: text('recall_reason'),
  },
  (t) => [uniqueIndex('firmware_releases_tenant_version_kind').on(t.tenantId, t.version, t.kind)],
);

/**
 * A staged rollout of one release to the gateways a selector matches, in waves. States:
 * scheduled → running ⇄ paused → completed | aborted | canceled.
 */
export const rollouts = pgTable(
  'rollouts',
  {
    id: uuid('id').primaryKey(),
    tenantId: text('tenant_id').notNull(),
    releaseId: uuid('release_id')
      .notNull()
      .references(() => firmwareReleases.id, { onDelete: 'restrict' }),
    name: text('name').notNull(),
    selector: text('selector').notNull(),
    /** e.g. [{ percent: 1 }, { percent: 10 }, { count: 50 }, { percent: 100 }] */
    waves: jsonb('waves').notNull(),
    /** Fraction of a wave that must succeed before the next starts (0..1). */
    successThreshold: jsonb('success_threshold').notNull(),
    /** When to pause or abort: { count?, percent?, minSample, action: 'pause' | 'abort' } */
    failureThreshold: jsonb('failure_threshold').notNull(),
    maxConcurrent: integer('max_concurrent').notNull(),
    startRatePerMinute: integer('start_rate_per_minute').notNull(),
    /** { cron, durationMinutes, timeZone } or null (any time). */
    maintenanceWindow: jsonb('maintenance_window'),
    /** Per-phase timeouts in seconds: { downloading, installing, rebooting, verifying }. */
    phaseTimeouts: jsonb('phase_timeouts').notNull(),
    includeLateJoiners: boolean('include_late_joiners').notNull().default(false),
    allowDowngrade: boolean('allow_downgrade').notNull().default(false),
    state: text('state').notNull().default('scheduled'),
    currentWave: integer('current_wave').notNull().default(0),
    stateReason: text('state_reason'),
    /** Matched gateways left out at creation, by reason: { total, byReason: { WRONG_MODEL: 3 }, sample }. */
    excluded: jsonb('excluded'),
    /** The failure threshold counts deployments finished after this (set on resume). */
    failuresCountedSince: timestamp('failures_counted_since', { withTimezone: true }),
    createdByUserId: uuid('created_by_user_id'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
  },
  (t) => [
    index('rollouts_tenant_idx').on(t.tenantId, t.id),
    index('rollouts_running_idx')
      .on(t.state)
      .where(sql`${t.state} in ('scheduled', 'running')`),
  ],
);

/**
 * One gateway's part in a rollout. States: scheduled → downloading → downloaded → installing →
 * rebooting → verifying → succeeded | failed | rolled_back | canceled | timed_out. Succeeded only
 * when the gateway runs the new version after its restart and has committed it.
 */
export const deployments = pgTable(
  'deployments',
  {
    id: uuid('id').primaryKey(),
    rolloutId: uuid('rollout_id')
      .notNull()
      .references(() => rollouts.id, { onDelete: 'cascade' }),
    tenantId: text('tenant_id').notNull(),
    gatewayId: uuid('gateway_id')
      .notNull()
      .references(() => gateways.id, { onDelete: 'cascade' }),
    wave: integer('wave').notNull(),
    state: text('state').notNull().default('scheduled'),
    fromVersion: text('from_version'),
    toVersion: text('to_version').notNull(),
    progress: integer('progress').notNull().default(0),
    attempts: integer('attempts').notNull().default(0),
    /** The last `ota` action sent to the gateway (download | install | cancel), and when. */
    instruction: text('instruction'),
    instructedAt: timestamp('instructed_at', { withTimezone: true }),
    /** The version the gateway last reported running. */
    runningVersion: text('running_version'),
    /** When the gateway reported the new version committed; success waits for its presence to agree. */
    committedAt: timestamp('committed_at', { withTimezone: true }),
    phaseStartedAt: timestamp('phase_started_at', { withTimezone: true }),
    startedAt: timestamp('started_at', { withTimezone: true }),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
    errorCode: text('error_code'),
    errorMessage: text('error_message'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('deployments_rollout_gateway').on(t.rolloutId, t.gatewayId),
    index('deployments_rollout_wave_state_idx').on(t.rolloutId, t.wave, t.state),
    index('deployments_gateway_idx').on(t.gatewayId, t.state),
  ],
);
