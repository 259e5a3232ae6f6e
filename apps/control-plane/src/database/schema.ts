import { sql } from 'drizzle-orm';
import {
  bigserial,
  boolean,
  doublePrecision,
  foreignKey,
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

const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();
const updatedAt = () => timestamp('updated_at', { withTimezone: true }).notNull().defaultNow();
const tags = () =>
  text('tags')
    .array()
    .notNull()
    .default(sql`'{}'::text[]`);

export const tenants = pgTable('tenants', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  locale: text('locale').notNull().default('vi'),
  createdAt: createdAt(),
});

export const users = pgTable(
  'users',
  {
    id: uuid('id').primaryKey(),
    tenantId: text('tenant_id').references(() => tenants.id, { onDelete: 'cascade' }),
    username: text('username').notNull(),
    displayName: text('display_name').notNull(),
    role: text('role').notNull(),
    platformAdmin: boolean('platform_admin').notNull().default(false),
    siteIds: text('site_ids').array(),
    passwordHash: text('password_hash'),
    disabled: boolean('disabled').notNull().default(false),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('users_username_key').on(t.username),
    index('users_tenant_idx').on(t.tenantId),
  ],
);

export const apiTokens = pgTable(
  'api_tokens',
  {
    id: uuid('id').primaryKey(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    tokenHash: text('token_hash').notNull(),
    createdAt: createdAt(),
    expiresAt: timestamp('expires_at', { withTimezone: true }),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
    lastUsedAt: timestamp('last_used_at', { withTimezone: true }),
  },
  (t) => [
    uniqueIndex('api_tokens_hash_key').on(t.tokenHash),
    index('api_tokens_user_idx').on(t.userId),
  ],
);

export const sites = pgTable(
  'sites',
  {
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id, { onDelete: 'cascade' }),
    id: text('id').notNull(),
    name: text('name').notNull(),
    timeZone: text('time_zone').notNull(),
    latitude: doublePrecision('latitude'),
    longitude: doublePrecision('longitude'),
    address: text('address'),
    requiresApproval: boolean('requires_approval').notNull().default(false),
    tags: tags(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.id] })],
);

export const gateways = pgTable(
  'gateways',
  {
    id: uuid('id').primaryKey(),
    tenantId: text('tenant_id').notNull(),
    siteId: text('site_id').notNull(),
    serialNumber: text('serial_number').notNull(),
    name: text('name').notNull(),
    model: text('model').notNull(),
    hardwareRevision: text('hardware_revision').notNull(),
    agentVersion: text('agent_version'),
    firmwareVersion: text('firmware_version'),
    tags: tags(),
    /** pending | active | rejected | revoked */
    lifecycle: text('lifecycle').notNull().default('active'),
    /** online | offline (presence, meaningful while active) */
    connectivity: text('connectivity').notNull().default('offline'),
    lastSeenAt: timestamp('last_seen_at', { withTimezone: true }),
    connectivityChangedAt: timestamp('connectivity_changed_at', { withTimezone: true }),
    /** Ordering of presence messages: within one agent boot by seq, across boots by timestamp. */
    presenceBootId: text('presence_boot_id'),
    presenceSeq: integer('presence_seq'),
    presenceTs: timestamp('presence_ts', { withTimezone: true, precision: 3 }),
    /** Desired configuration version (bumped on every device change) and what the agent applied. */
    configVersion: integer('config_version').notNull().default(1),
    configAppliedVersion: integer('config_applied_version'),
    configError: text('config_error'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    foreignKey({ columns: [t.tenantId, t.siteId], foreignColumns: [sites.tenantId, sites.id] }),
    uniqueIndex('gateways_tenant_serial_key').on(t.tenantId, t.serialNumber),
    index('gateways_tenant_site_idx').on(t.tenantId, t.siteId),
    index('gateways_tags_idx').using('gin', t.tags),
  ],
);

export const devices = pgTable(
  'devices',
  {
    id: uuid('id').primaryKey(),
    tenantId: text('tenant_id').notNull(),
    gatewayId: uuid('gateway_id')
      .notNull()
      .references(() => gateways.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    profileId: text('profile_id').notNull(),
    connection: jsonb('connection').notNull(),
    /** Where the device answers on its gateway (`rtu:/dev/ttyUSB0:5`, `tcp:10.0.0.7:502:1`): unique per gateway. */
    addressKey: text('address_key').notNull(),
    tags: tags(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('devices_tenant_gateway_idx').on(t.tenantId, t.gatewayId),
    uniqueIndex('devices_gateway_address_key').on(t.gatewayId, t.addressKey),
    index('devices_tags_idx').using('gin', t.tags),
  ],
);

export const auditLog = pgTable(
  'audit_log',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    tenantId: text('tenant_id'),
    at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
    actorUserId: uuid('actor_user_id'),
    actorTokenId: uuid('actor_token_id'),
    actorName: text('actor_name'),
    action: text('action').notNull(),
    targetType: text('target_type'),
    targetId: text('target_id'),
    method: text('method').notNull(),
    path: text('path').notNull(),
    statusCode: integer('status_code').notNull(),
    outcome: text('outcome').notNull(),
    requestId: text('request_id').notNull(),
    ip: text('ip'),
    details: jsonb('details'),
  },
  (t) => [index('audit_log_tenant_at_idx').on(t.tenantId, t.id)],
);

/** Single-use, expiring codes a technician creates for a site; only the hash is stored. */
export const claims = pgTable(
  'claims',
  {
    id: uuid('id').primaryKey(),
    tenantId: text('tenant_id').notNull(),
    siteId: text('site_id').notNull(),
    codeHash: text('code_hash').notNull(),
    createdByUserId: uuid('created_by_user_id'),
    createdAt: createdAt(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    usedAt: timestamp('used_at', { withTimezone: true }),
    gatewayId: uuid('gateway_id'),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
  },
  (t) => [
    foreignKey({
      columns: [t.tenantId, t.siteId],
      foreignColumns: [sites.tenantId, sites.id],
    }).onDelete('cascade'),
    uniqueIndex('claims_code_hash_key').on(t.codeHash),
    index('claims_tenant_site_idx').on(t.tenantId, t.siteId),
  ],
);

/** A gateway's MQTT secret (hash only). The username is the gateway id. */
export const gatewayCredentials = pgTable('gateway_credentials', {
  gatewayId: uuid('gateway_id')
    .primaryKey()
    .references(() => gateways.id, { onDelete: 'cascade' }),
  secretHash: text('secret_hash').notNull(),
  createdAt: createdAt(),
});

/** Serial numbers from a factory manifest: they skip the approval step of sites that require it. */
export const preauthorizedGateways = pgTable(
  'preauthorized_gateways',
  {
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id, { onDelete: 'cascade' }),
    serialNumber: text('serial_number').notNull(),
    model: text('model').notNull(),
    hardwareRevision: text('hardware_revision'),
    siteId: text('site_id'),
    createdAt: createdAt(),
    enrolledAt: timestamp('enrolled_at', { withTimezone: true }),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.serialNumber] })],
);

/** Time series of device readings. Numbers in `num`; booleans, strings and flag sets in `val`. */
export const telemetry = pgTable(
  'telemetry',
  {
    tenantId: text('tenant_id').notNull(),
    deviceId: uuid('device_id').notNull(),
    point: text('point').notNull(),
    ts: timestamp('ts', { withTimezone: true, precision: 3 }).notNull(),
    num: doublePrecision('num'),
    val: jsonb('val'),
  },
  // At-least-once delivery from gateways: a redelivered reading hits this key and is ignored.
  (t) => [primaryKey({ columns: [t.deviceId, t.point, t.ts] }), index('telemetry_ts_idx').on(t.ts)],
);

/** The latest value of every point of every device. */
export const deviceState = pgTable(
  'device_state',
  {
    tenantId: text('tenant_id').notNull(),
    deviceId: uuid('device_id')
      .notNull()
      .references(() => devices.id, { onDelete: 'cascade' }),
    point: text('point').notNull(),
    ts: timestamp('ts', { withTimezone: true, precision: 3 }).notNull(),
    value: jsonb('value').notNull(),
  },
  (t) => [primaryKey({ columns: [t.deviceId, t.point] })],
);

/** Per-device health as the gateway last reported it (online, suspect, offline). */
export const deviceHealth = pgTable('device_health', {
  deviceId: uuid('device_id')
    .primaryKey()
    .references(() => devices.id, { onDelete: 'cascade' }),
  tenantId: text('tenant_id').notNull(),
  state: text('state').notNull(),
  ts: timestamp('ts', { withTimezone: true, precision: 3 }).notNull(),
  error: jsonb('error'),
});
