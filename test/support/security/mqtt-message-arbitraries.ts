import fc from 'fast-check';
import {
  BUS_STATES,
  CONFIG_ACK_STATUSES,
  CONTROL_ACTIONS,
  DEVICE_HEALTH_STATES,
  EXECUTION_OUTCOMES,
  MAX_TIMESTAMP_MS,
  OFFLINE_REASONS,
  OTA_ACTIONS,
  OTA_REPORTED_PHASES,
  PRESENCE_STATES,
  SERIAL_PARITIES,
  type DownlinkMessage,
  type UplinkMessage,
  type WireValue,
} from '@fleet/contracts';

/**
 * Arbitraries for every valid MQTT message of the fleet/v1 contract, derived from the rules in
 * libs/contracts/src/mqtt/*.message.ts. Sizes stay well under the per-channel payload limits.
 */

const entityId = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,24}$/);
const name = fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,24}$/);
const bootId = fc.stringMatching(/^[A-Za-z0-9_-]{1,24}$/);
const ts = fc.integer({ min: 0, max: MAX_TIMESTAMP_MS });
const count = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });
const text = (min: number, max: number): fc.Arbitrary<string> =>
  fc.string({ unit: 'binary', minLength: min, maxLength: max });
/** JSON has no -0: the wire turns it into 0, so generated messages never hold it. */
const finite = fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => n + 0);

const wireValue: fc.Arbitrary<WireValue> = fc.oneof(
  finite,
  fc.boolean(),
  text(0, 40),
  fc.dictionary(name, fc.boolean(), { maxKeys: 8 }),
);
const paramValue = fc.oneof(finite, fc.boolean(), text(0, 40));
const errorDetail = fc.record(
  { code: text(1, 64), message: text(0, 200), retryable: fc.boolean() },
  { requiredKeys: ['code', 'message'] },
);

const status = fc.record(
  {
    v: fc.constant(1 as const),
    type: fc.constant('status' as const),
    state: fc.constantFrom(...PRESENCE_STATES),
    reason: fc.constantFrom(...OFFLINE_REASONS),
    agentVersion: text(1, 64),
    firmwareVersion: text(1, 64),
    bootId,
    ts,
    seq: count,
  },
  {
    requiredKeys: ['v', 'type', 'state', 'agentVersion', 'firmwareVersion', 'bootId', 'ts', 'seq'],
  },
);

const heartbeat = fc.record({
  v: fc.constant(1 as const),
  type: fc.constant('heartbeat' as const),
  bootId,
  ts,
  uptimeS: count,
  configVersion: count,
  buffer: fc.record({ depth: count, bytes: count, dropped: count }),
  buses: fc.array(
    fc.record(
      {
        id: text(1, 64),
        state: fc.constantFrom(...BUS_STATES),
        errors: count,
        lastError: text(0, 100),
      },
      { requiredKeys: ['id', 'state'] },
    ),
    { maxLength: 5 },
  ),
  devices: fc.record({ total: count, healthy: count, unhealthy: count }),
});

const telemetry = fc.record(
  {
    v: fc.constant(1 as const),
    type: fc.constant('telemetry' as const),
    bootId,
    batchSeq: count,
    readings: fc.array(fc.record({ deviceId: entityId, point: name, ts, value: wireValue }), {
      maxLength: 10,
    }),
    health: fc.array(
      fc.record(
        {
          deviceId: entityId,
          state: fc.constantFrom(...DEVICE_HEALTH_STATES),
          ts,
          error: errorDetail,
        },
        { requiredKeys: ['deviceId', 'state', 'ts'] },
      ),
      { maxLength: 4 },
    ),
  },
  { requiredKeys: ['v', 'type', 'bootId', 'batchSeq', 'readings'] },
);

const commandAck = fc.record({
  v: fc.constant(1 as const),
  type: fc.constant('cmd_ack' as const),
  ts,
  executionIds: fc.array(entityId, { minLength: 1, maxLength: 10 }),
});

const commandResult = fc.record({
  v: fc.constant(1 as const),
  type: fc.constant('cmd_result' as const),
  results: fc.array(
    fc.record(
      {
        executionId: entityId,
        outcome: fc.constantFrom(...EXECUTION_OUTCOMES),
        error: errorDetail,
        values: fc.dictionary(name, wireValue, { maxKeys: 6 }),
        verify: fc.record(
          { ok: fc.boolean(), point: name, expected: wireValue, actual: wireValue },
          { requiredKeys: ['ok', 'point'] },
        ),
        startedAt: ts,
        finishedAt: ts,
      },
      { requiredKeys: ['executionId', 'outcome', 'finishedAt'] },
    ),
    { minLength: 1, maxLength: 5 },
  ),
});

const otaStatus = fc.record(
  {
    v: fc.constant(1 as const),
    type: fc.constant('ota_status' as const),
    deploymentId: entityId,
    phase: fc.constantFrom(...OTA_REPORTED_PHASES),
    progress: fc.double({ min: 0, max: 100, noNaN: true }).map((n) => n + 0),
    runningVersion: text(1, 64),
    error: errorDetail,
    ts,
  },
  { requiredKeys: ['v', 'type', 'deploymentId', 'phase', 'runningVersion', 'ts'] },
);

const configAck = fc.record(
  {
    v: fc.constant(1 as const),
    type: fc.constant('config_ack' as const),
    configVersion: count,
    status: fc.constantFrom(...CONFIG_ACK_STATUSES),
    reason: text(0, 200),
    issues: fc.array(fc.record({ path: text(0, 100), message: text(1, 100) }), { maxLength: 5 }),
    ts,
  },
  { requiredKeys: ['v', 'type', 'configVersion', 'status', 'ts'] },
);

/** As code builds messages and JSON.parse reads them: ordinary objects (fc.record may make null-prototype ones). */
const plain = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

export const uplinkMessageArb: fc.Arbitrary<UplinkMessage> = fc
  .oneof(status, heartbeat, telemetry, commandAck, commandResult, otaStatus, configAck)
  .map(plain);

const devicePath = fc.stringMatching(/^\/[a-zA-Z0-9/_.:-]{0,60}$/);
const serialLine = {
  path: devicePath,
  baudRate: fc.integer({ min: 300, max: 4_000_000 }),
  parity: fc.constantFrom(...SERIAL_PARITIES),
  dataBits: fc.constantFrom(7 as const, 8 as const),
  stopBits: fc.constantFrom(1 as const, 2 as const),
};
const serialRequired = ['kind', 'path', 'baudRate', 'parity'] as const;
const connection = fc.oneof(
  fc.record(
    {
      kind: fc.constant('modbus-rtu' as const),
      ...serialLine,
      unitId: fc.integer({ min: 0, max: 247 }),
    },
    { requiredKeys: [...serialRequired, 'unitId'] },
  ),
  fc.record({
    kind: fc.constant('modbus-tcp' as const),
    host: fc.oneof(
      fc.domain(),
      fc.ipV4(),
      fc.ipV6().map((ip) => `[${ip}]`),
    ),
    port: fc.integer({ min: 1, max: 65_535 }),
    unitId: fc.integer({ min: 0, max: 255 }),
  }),
  fc.record(
    {
      kind: fc.constant('serial' as const),
      ...serialLine,
      address: fc.integer({ min: 0, max: 255 }),
    },
    { requiredKeys: [...serialRequired, 'address'] },
  ),
  fc.record({ kind: fc.constant('gpio' as const), chip: text(1, 64) }, { requiredKeys: ['kind'] }),
);

const gatewayConfig = fc.record({
  v: fc.constant(1 as const),
  type: fc.constant('config' as const),
  version: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
  issuedAt: ts,
  devices: fc.array(
    fc.record(
      {
        id: entityId,
        name: text(1, 200),
        profileId: entityId,
        connection,
        tags: fc.array(text(1, 128), { maxLength: 4 }),
        enabled: fc.boolean(),
      },
      { requiredKeys: ['id', 'name', 'profileId', 'connection', 'tags'] },
    ),
    { maxLength: 4 },
  ),
  profiles: fc.array(fc.record({ id: entityId, version: text(1, 64), source: text(0, 500) }), {
    maxLength: 3,
  }),
});

const commandBatch = fc.record(
  {
    v: fc.constant(1 as const),
    type: fc.constant('cmd' as const),
    correlationId: entityId,
    executions: fc.array(
      fc.record({
        executionId: entityId,
        commandId: entityId,
        deviceId: entityId,
        command: name,
        params: fc.dictionary(name, paramValue, { maxKeys: 6 }),
        priority: fc.integer({ min: 0, max: 100 }),
        expiresAt: ts,
      }),
      { minLength: 1, maxLength: 5 },
    ),
  },
  { requiredKeys: ['v', 'type', 'executions'] },
);

const phaseMs = fc.integer({ min: 1_000, max: 7 * 24 * 3600 * 1000 });
const otaDeployment = fc.record(
  {
    v: fc.constant(1 as const),
    type: fc.constant('ota' as const),
    action: fc.constantFrom(...OTA_ACTIONS),
    deploymentId: entityId,
    correlationId: entityId,
    manifest: fc.record({
      manifest: fc.dictionary(
        fc.string({ maxLength: 10 }).filter((k) => k !== '__proto__'),
        fc.jsonValue({ maxDepth: 2 }),
        { maxKeys: 6 },
      ),
      signature: fc.record({
        alg: fc.constant('ed25519' as const),
        keyId: text(1, 64),
        value: fc.base64String({ minLength: 4, maxLength: 256 }),
      }),
    }),
    downloadUrl: fc
      .tuple(
        fc.constantFrom('http', 'https'),
        fc.constantFrom('cp.example.org', '10.0.0.1', 'localhost', 'fleet.danang.gov.vn:8443'),
        fc.stringMatching(/^[a-z0-9/_-]{0,40}$/),
      )
      .map(([scheme, host, path]) => `${scheme}://${host}/${path}`),
    token: text(1, 200),
    tokenExpiresAt: ts,
    timeouts: fc.record({ downloadMs: phaseMs, installMs: phaseMs, verifyMs: phaseMs }),
    allowDowngrade: fc.boolean(),
  },
  {
    requiredKeys: [
      'v',
      'type',
      'action',
      'deploymentId',
      'manifest',
      'downloadUrl',
      'token',
      'tokenExpiresAt',
      'timeouts',
    ],
  },
);

const control = fc.record(
  {
    v: fc.constant(1 as const),
    type: fc.constant('control' as const),
    action: fc.constantFrom(...CONTROL_ACTIONS),
    requestId: entityId,
    spreadMs: fc.integer({ min: 0, max: 3_600_000 }),
    ts,
  },
  { requiredKeys: ['v', 'type', 'action', 'ts'] },
);

export const downlinkMessageArb: fc.Arbitrary<DownlinkMessage> = fc
  .oneof(gatewayConfig, commandBatch, otaDeployment, control)
  .map(plain);

export const gatewayIdArb = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,30}$/);
