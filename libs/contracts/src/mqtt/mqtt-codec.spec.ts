import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ContractError } from './contract.error.js';
import {
  decodeDownlink,
  decodeUplink,
  encodeDownlink,
  encodeUplink,
  REJECTION_REASONS,
  type DownlinkMessage,
  type UplinkMessage,
} from './mqtt-codec.js';
import { DEFAULT_MQTT_SIZE_LIMITS } from './mqtt-limits.js';
import type { GatewayConfigMessage } from './gateway-config.message.js';
import type { TelemetryMessage } from './telemetry.message.js';

const T = 1_767_225_600_000; // 2026-01-01T00:00:00Z
const gw = 'gw-0001';

const telemetry: TelemetryMessage = {
  v: 1,
  type: 'telemetry',
  bootId: 'boot-1',
  batchSeq: 7,
  readings: [
    { deviceId: 'meter-1', point: 'l1_voltage', ts: T, value: 229.5 },
    { deviceId: 'meter-1', point: 'relay', ts: T, value: true },
    { deviceId: 'meter-1', point: 'energy_total', ts: T, value: '9007199254740993' },
    { deviceId: 'lamp-3', point: 'status', ts: T, value: { lampFailure: false, lampOn: true } },
  ],
  health: [
    {
      deviceId: 'lamp-4',
      state: 'unreachable',
      ts: T,
      error: { code: 'TIMEOUT', message: 'no reply in 300 ms' },
    },
  ],
};

const config: GatewayConfigMessage = {
  v: 1,
  type: 'config',
  version: 3,
  issuedAt: T,
  devices: [
    {
      id: 'meter-1',
      name: 'Cabinet 12 main meter',
      profileId: 'eastron-sdm630',
      connection: {
        kind: 'modbus-rtu',
        path: '/dev/serial/by-id/usb-FTDI-if00',
        baudRate: 9600,
        parity: 'none',
        unitId: 1,
      },
      tags: ['meter'],
    },
    {
      id: 'dali-1',
      name: 'DALI gateway',
      profileId: 'ecodim-dali-gw2',
      connection: { kind: 'modbus-tcp', host: '10.0.0.7', port: 502, unitId: 1 },
      tags: ['streetlight'],
    },
    {
      id: 'cam-1',
      name: 'PTZ camera',
      profileId: 'pelco-d',
      connection: {
        kind: 'serial',
        path: '/dev/ttyAMA0',
        baudRate: 2400,
        parity: 'none',
        address: 1,
      },
      tags: [],
    },
    {
      id: 'door-1',
      name: 'Door contact',
      profileId: 'door',
      connection: { kind: 'gpio' },
      tags: [],
    },
  ],
  profiles: [{ id: 'eastron-sdm630', version: '1.0.0', source: 'id: eastron-sdm630\n' }],
};

const samples: UplinkMessage[] = [
  telemetry,
  {
    v: 1,
    type: 'status',
    state: 'online',
    agentVersion: '1.2.0',
    firmwareVersion: '1.2.0',
    bootId: 'b1',
    ts: T,
    seq: 0,
  },
  {
    v: 1,
    type: 'heartbeat',
    bootId: 'b1',
    ts: T,
    uptimeS: 12,
    configVersion: 3,
    buffer: { depth: 0, bytes: 0, dropped: 0 },
    buses: [{ id: '/dev/ttyUSB0', state: 'ok' }],
    devices: { total: 3, healthy: 3, unhealthy: 0 },
  },
  { v: 1, type: 'cmd_ack', ts: T, executionIds: ['e1', 'e2'] },
  {
    v: 1,
    type: 'cmd_result',
    results: [
      {
        executionId: 'e1',
        outcome: 'succeeded',
        values: { level: 40 },
        verify: { ok: true, point: 'level', expected: 40, actual: 40 },
        finishedAt: T,
      },
      {
        executionId: 'e2',
        outcome: 'failed',
        error: { code: 'MODBUS_EXCEPTION_2', message: 'Illegal data address', retryable: false },
        finishedAt: T,
      },
    ],
  },
  {
    v: 1,
    type: 'ota_status',
    deploymentId: 'd1',
    phase: 'downloading',
    progress: 42.5,
    runningVersion: '1.2.0',
    ts: T,
  },
  {
    v: 1,
    type: 'config_ack',
    configVersion: 3,
    status: 'rejected',
    reason: 'bad profile',
    issues: [{ path: 'profiles[0]', message: 'x' }],
    ts: T,
  },
];

const downSamples: DownlinkMessage[] = [
  config,
  {
    v: 1,
    type: 'cmd',
    correlationId: 'req-1',
    executions: [
      {
        executionId: 'e1',
        commandId: 'c1',
        deviceId: 'dali-1',
        command: 'setDim',
        params: { level: 40 },
        priority: 50,
        expiresAt: T + 60_000,
      },
    ],
  },
  {
    v: 1,
    type: 'ota',
    action: 'install',
    deploymentId: 'd1',
    manifest: {
      manifest: { version: '1.3.0' },
      signature: { alg: 'ed25519', keyId: 'abcd', value: 'c2lnbmF0dXJl' },
    },
    downloadUrl: 'https://cp.example.org/api/v1/firmware/1/download?t=abc',
    token: 'short-lived',
    tokenExpiresAt: T + 600_000,
    timeouts: { downloadMs: 600_000, installMs: 300_000, verifyMs: 300_000 },
  },
  { v: 1, type: 'control', action: 'reconnect', spreadMs: 30_000, ts: T },
];

describe('MQTT codec', () => {
  it('round-trips every uplink message through encode and decode', () => {
    for (const message of samples) {
      const encoded = encodeUplink(gw, message);
      const decoded = decodeUplink(encoded.topic, encoded.payload);
      expect(decoded.ok, JSON.stringify(decoded)).toBe(true);
      if (!decoded.ok) continue;
      expect(decoded.gatewayId).toBe(gw);
      expect(JSON.parse(JSON.stringify(decoded.message))).toEqual(message);
    }
  });

  it('round-trips every downlink message and marks status and config retained', () => {
    for (const message of downSamples) {
      const encoded = encodeDownlink(gw, message);
      expect(encoded.retain).toBe(message.type === 'config');
      const decoded = decodeDownlink(encoded.topic, encoded.payload);
      expect(decoded.ok, JSON.stringify(decoded)).toBe(true);
      if (decoded.ok) expect(JSON.parse(JSON.stringify(decoded.message))).toEqual(message);
    }
    expect(encodeUplink(gw, samples[1]).retain).toBe(true);
    expect(encodeUplink(gw, telemetry).topic).toBe('fleet/v1/gw/gw-0001/telemetry');
  });

  it('gives the decoded connection its own class so the kind narrows the type', () => {
    const decoded = decodeDownlink('fleet/v1/gw/gw-0001/config', JSON.stringify(config));
    if (!decoded.ok || decoded.channel !== 'config') throw new Error('expected config');
    const connection = decoded.message.devices[1].connection;
    expect(connection.kind).toBe('modbus-tcp');
    if (connection.kind === 'modbus-tcp') expect(connection.port).toBe(502);
  });

  it('rejects topics outside the scheme, in the wrong direction, or with a bad gateway id', () => {
    const payload = JSON.stringify(telemetry);
    for (const topic of [
      'fleet/v1/gw/gw-0001/cmd',
      'fleet/v1/gw/gw-0001/nope',
      'fleet/v2/gw/gw-0001/telemetry',
      'fleet/v1/gw/+/telemetry',
      'fleet/v1/gw//telemetry',
      '$SYS/broker/x',
    ]) {
      const result = decodeUplink(topic, payload);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.rejection.reason).toBe('unknown_topic');
    }
  });

  it('rejects an oversize payload before parsing it, honouring configured limits', () => {
    const big = Buffer.alloc(DEFAULT_MQTT_SIZE_LIMITS.telemetry + 1, 0x20);
    const result = decodeUplink('fleet/v1/gw/gw-0001/telemetry', big);
    expect(result.ok || result.rejection.reason).toBe('oversize');
    const small = decodeUplink('fleet/v1/gw/gw-0001/telemetry', JSON.stringify(telemetry), {
      limits: { telemetry: 100 },
    });
    expect(small.ok || small.rejection).toMatchObject({
      reason: 'oversize',
      gatewayId: 'gw-0001',
      channel: 'telemetry',
    });
  });

  it('rejects payloads that are not UTF-8 JSON objects', () => {
    const topic = 'fleet/v1/gw/gw-0001/telemetry';
    const notJson = decodeUplink(topic, '{"v":1,');
    expect(notJson.ok || notJson.rejection.reason).toBe('not_json');
    const badUtf8 = decodeUplink(topic, Buffer.from([0x7b, 0xff, 0x7d]));
    expect(badUtf8.ok || badUtf8.rejection.reason).toBe('not_json');
    const array = decodeUplink(topic, '[1,2]');
    expect(array.ok || array.rejection.reason).toBe('invalid');
  });

  it('names the path and reason of an invalid field', () => {
    const bad = structuredClone(telemetry) as unknown as { readings: Record<string, unknown>[] };
    bad.readings[2]['value'] = [1, 2];
    bad.readings[3]['ts'] = -5;
    const result = decodeUplink('fleet/v1/gw/gw-0001/telemetry', JSON.stringify(bad));
    if (result.ok) throw new Error('expected a rejection');
    expect(result.rejection.reason).toBe('invalid');
    const paths = result.rejection.issues.map((i) => i.path);
    expect(paths).toContain('readings[2].value');
    expect(paths).toContain('readings[3].ts');
    expect(result.rejection.detail).toContain(
      'readings[3].ts must be an epoch-milliseconds integer',
    );
  });

  it('rejects a wrong contract version, a type that does not match the topic and unknown fields', () => {
    const topic = 'fleet/v1/gw/gw-0001/telemetry';
    const v2 = decodeUplink(topic, JSON.stringify({ ...telemetry, v: 2 }));
    expect(v2.ok || v2.rejection.issues[0]).toEqual({
      path: 'v',
      message: 'must be 1 (contract version), got 2',
    });
    const wrongType = decodeUplink(topic, JSON.stringify({ ...telemetry, type: 'heartbeat' }));
    expect(wrongType.ok || wrongType.rejection.issues[0]?.path).toBe('type');
    const extra = decodeUplink(topic, JSON.stringify({ ...telemetry, gatewayId: 'someone-else' }));
    expect(extra.ok || extra.rejection.issues[0]).toEqual({
      path: 'gatewayId',
      message: 'property gatewayId should not exist',
    });
    const nullOptional = decodeUplink(topic, JSON.stringify({ ...telemetry, health: null }));
    expect(nullOptional.ok || nullOptional.rejection.issues[0]?.path).toBe('health');
  });

  it('explains an unknown connection kind', () => {
    const bad = structuredClone(config) as unknown as {
      devices: { connection: Record<string, unknown> }[];
    };
    bad.devices[0].connection = { kind: 'can-bus', path: '/dev/can0' };
    const result = decodeDownlink('fleet/v1/gw/gw-0001/config', JSON.stringify(bad));
    if (result.ok) throw new Error('expected a rejection');
    expect(result.rejection.issues).toContainEqual({
      path: 'devices[0].connection.kind',
      message: 'must be one of the following values: modbus-rtu, modbus-tcp, serial, gpio',
    });
  });

  it('refuses to encode an invalid or oversize message', () => {
    const bad = { ...telemetry, batchSeq: -1 };
    expect(() => encodeUplink(gw, bad)).toThrow(ContractError);
    try {
      encodeUplink(gw, bad);
    } catch (error) {
      expect((error as ContractError).code).toBe('INVALID_MESSAGE');
      expect((error as ContractError).issues[0]?.path).toBe('batchSeq');
    }
    expect(() => encodeUplink(gw, telemetry, { limits: { telemetry: 64 } })).toThrow(
      /exceeds the 64-byte limit/,
    );
    expect(() => encodeUplink('gw/+', telemetry)).toThrow(/invalid gateway id/);
  });

  it('never throws on arbitrary topics and payloads', () => {
    const topics = fc.oneof(
      fc.string(),
      fc.constantFrom(
        'fleet/v1/gw/a/telemetry',
        'fleet/v1/gw/a/status',
        'fleet/v1/gw/a/config',
        'fleet/v1/gw/a/cmd',
      ),
    );
    const payloads = fc.oneof(
      fc.uint8Array({ maxLength: 300 }),
      fc.json().map((j) => Buffer.from(j)),
      fc
        .jsonValue()
        .map((j) =>
          JSON.stringify({ v: 1, type: 'telemetry', bootId: 'b', batchSeq: 1, readings: [j] }),
        ),
      fc.jsonValue().map((j) =>
        JSON.stringify({
          v: 1,
          type: 'config',
          version: 1,
          issuedAt: 1,
          devices: [{ connection: j }],
          profiles: [],
        }),
      ),
    );
    fc.assert(
      fc.property(topics, payloads, (topic, payload) => {
        for (const result of [decodeUplink(topic, payload), decodeDownlink(topic, payload)]) {
          if (!result.ok) expect(REJECTION_REASONS).toContain(result.rejection.reason);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
