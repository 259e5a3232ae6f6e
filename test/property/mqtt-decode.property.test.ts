import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeDownlink,
  decodeUplink,
  DEFAULT_MQTT_SIZE_LIMITS,
  DOWNLINK_CHANNELS,
  encodeDownlink,
  encodeUplink,
  gatewayTopic,
  MAX_MESSAGE_DEPTH,
  REJECTION_REASONS,
  UPLINK_CHANNELS,
  type DownlinkDecodeResult,
  type MqttChannel,
  type UplinkDecodeResult,
} from '@fleet/contracts';
import { hostileJson, hostileString } from '../support/security/hostile-values.js';
import { mutatedDocument } from '../support/security/json-mutation.js';
import {
  downlinkMessageArb,
  gatewayIdArb,
  uplinkMessageArb,
} from '../support/security/mqtt-message-arbitraries.js';
import { propertyParameters, withinHangLimit } from '../support/security/property-budget.js';

type Direction = 'uplink' | 'downlink';
const decoders = { uplink: decodeUplink, downlink: decodeDownlink } as const;
const CHANNELS = { uplink: UPLINK_CHANNELS, downlink: DOWNLINK_CHANNELS } as const;

const payloadOf = (value: unknown): Buffer => Buffer.from(JSON.stringify(value) ?? 'undefined');

/** What a broker may hand over on a channel: noise, JSON, and near-miss copies of real messages. */
function payloads(direction: Direction): fc.Arbitrary<Buffer | Uint8Array | string> {
  const valid = direction === 'uplink' ? uplinkMessageArb : downlinkMessageArb;
  return fc.oneof(
    { weight: 2, arbitrary: fc.uint8Array({ maxLength: 300 }) },
    { weight: 1, arbitrary: hostileString(300) },
    { weight: 3, arbitrary: hostileJson().map(payloadOf) },
    { weight: 8, arbitrary: valid.chain((m) => mutatedDocument(m)).map((m) => payloadOf(m.value)) },
    {
      weight: 2,
      // Valid JSON text cut short or with a byte flipped.
      arbitrary: fc
        .tuple(valid, fc.nat(), fc.integer({ min: 0, max: 255 }), fc.boolean())
        .map(([m, at, b, cut]) => {
          const bytes = Buffer.from(JSON.stringify(m));
          const i = at % bytes.length;
          if (cut) return bytes.subarray(0, i);
          bytes[i] = b;
          return bytes;
        }),
    },
    { weight: 1, arbitrary: valid.map(payloadOf) },
  );
}

function checkRejectionOrMessage(
  result: UplinkDecodeResult | DownlinkDecodeResult,
  topic: string,
  direction: Direction,
): void {
  if (result.ok) {
    // Whatever was accepted is a message the encoder accepts too (nothing half-valid gets through).
    expect(result.topic).toBe(topic);
    const again =
      direction === 'uplink'
        ? encodeUplink(result.gatewayId, result.message as never)
        : encodeDownlink(result.gatewayId, result.message as never);
    expect(again.topic).toBe(topic);
    return;
  }
  const r = result.rejection;
  expect(REJECTION_REASONS).toContain(r.reason);
  expect(r.topic).toBe(topic);
  expect(r.detail.length).toBeGreaterThan(0);
  if (r.reason === 'invalid') {
    expect(r.issues.length).toBeGreaterThan(0);
    for (const issue of r.issues) {
      expect(typeof issue.path).toBe('string');
      expect(issue.message.length).toBeGreaterThan(0);
      // A field-level problem names its field; at the root only a non-object payload, a key
      // that is itself empty, or a validator failure (reported as such) are left.
      if (issue.path === '')
        expect(issue.message).toMatch(
          /JSON object|property {2}should not exist|could not be validated/,
        );
    }
    expect(r.detail).toMatch(new RegExp(`^invalid ${r.channel ?? ''}`));
  }
}

describe('MQTT decoders under hostile payloads', () => {
  for (const direction of ['uplink', 'downlink'] as const) {
    it(`decode${direction === 'uplink' ? 'Uplink' : 'Downlink'} never throws: every payload is a message or a rejection with a reason`, () => {
      const seen: Record<string, number> = {};
      fc.assert(
        fc.property(
          gatewayIdArb,
          fc.constantFrom(...CHANNELS[direction]),
          payloads(direction),
          (gatewayId, channel, payload) => {
            const topic = gatewayTopic(gatewayId, channel);
            const result = withinHangLimit(`decode ${channel}`, () =>
              decoders[direction](topic, payload),
            );
            const key = result.ok ? 'ok' : result.rejection.reason;
            seen[key] = (seen[key] ?? 0) + 1;
            checkRejectionOrMessage(result, topic, direction);
          },
        ),
        propertyParameters(),
      );
      for (const outcome of ['ok', 'not_json', 'invalid'])
        expect(seen[outcome], outcome).toBeGreaterThan(100);
    });
  }

  it('messages on a topic outside the scheme, or on the other direction, are unknown_topic', () => {
    const topics = fc.oneof(
      hostileString(80),
      fc
        .tuple(gatewayIdArb, fc.constantFrom(...DOWNLINK_CHANNELS))
        .map(([id, c]) => gatewayTopic(id, c)),
      fc
        .tuple(hostileString(20), fc.constantFrom(...UPLINK_CHANNELS))
        .map(([id, c]) => `fleet/v1/gw/${id}/${c}`),
      fc.constantFrom(
        'fleet/v1/gw//status',
        'fleet/v1/gw/+/status',
        'fleet/v1/gw/#',
        '$SYS/x',
        'fleet/v2/gw/a/status',
      ),
    );
    fc.assert(
      fc.property(topics, fc.uint8Array({ maxLength: 64 }), (topic, payload) => {
        const result = decodeUplink(topic, payload);
        if (result.ok) {
          expect(UPLINK_CHANNELS).toContain(result.channel);
          return;
        }
        if (result.rejection.reason !== 'unknown_topic') {
          // Only a well-formed uplink topic gets as far as looking at the payload.
          expect(topic).toBe(gatewayTopic(result.rejection.gatewayId!, result.rejection.channel!));
        }
      }),
      propertyParameters(),
    );
  });

  it('a payload over its channel limit is refused as oversize before it is parsed, also with configured limits', () => {
    const channels = [...UPLINK_CHANNELS, ...DOWNLINK_CHANNELS] as MqttChannel[];
    fc.assert(
      fc.property(
        gatewayIdArb,
        fc.constantFrom(...channels),
        fc.integer({ min: 1, max: 4096 }),
        fc.integer({ min: -64, max: 64 }),
        fc.boolean(),
        (gatewayId, channel, configured, delta, useDefault) => {
          const limit = useDefault ? DEFAULT_MQTT_SIZE_LIMITS[channel] : configured;
          const size = Math.max(0, limit + delta);
          const payload = Buffer.alloc(size, 0x7b); // '{' repeated: never valid JSON
          const topic = gatewayTopic(gatewayId, channel);
          const options = useDefault ? undefined : { limits: { [channel]: configured } };
          const result = (UPLINK_CHANNELS as readonly string[]).includes(channel)
            ? decodeUplink(topic, payload, options)
            : decodeDownlink(topic, payload, options);
          expect(result.ok).toBe(false);
          if (result.ok) return;
          expect(result.rejection.reason).toBe(size > limit ? 'oversize' : 'not_json');
          if (size > limit)
            expect(result.rejection.detail).toBe(
              `${channel} payload of ${size} bytes exceeds ${limit}`,
            );
        },
      ),
      propertyParameters(),
    );
  });

  it('payloads nested past MAX_MESSAGE_DEPTH are refused naming the path, not by a stack overflow', () => {
    for (const depth of [40, 10_000, 100_000]) {
      const payload = `{"v":1,"type":"config","version":1,"issuedAt":0,"devices":[],"profiles":[${'['.repeat(depth)}${']'.repeat(depth)}]}`;
      const result = decodeDownlink(gatewayTopic('gw-1', 'config'), payload);
      expect(result.ok).toBe(false);
      if (result.ok) continue;
      expect(result.rejection.reason).toBe('invalid');
      expect(result.rejection.issues[0]!.message).toBe(
        `is nested deeper than ${MAX_MESSAGE_DEPTH} levels`,
      );
      expect(result.rejection.issues[0]!.path).toMatch(/^profiles(\[0\])+$/);
    }
  });

  it('an OTA manifest reaches the gateway exactly as signed, whatever keys it holds', () => {
    const manifest = JSON.parse(
      '{"version":"1.4.0","constructor":{"a":1},"valueOf":null,"__proto__":{"x":[1]},"toString":"s"}',
    ) as Record<string, unknown>;
    const payload = JSON.stringify({
      v: 1,
      type: 'ota',
      action: 'download',
      deploymentId: 'd-1',
      manifest: { manifest, signature: { alg: 'ed25519', keyId: 'ab12', value: 'AAAA' } },
      downloadUrl: 'https://cp.example.org/api/v1/firmware/1/download',
      token: 't',
      tokenExpiresAt: 1,
      timeouts: { downloadMs: 1000, installMs: 1000, verifyMs: 1000 },
    });
    const result = decodeDownlink(gatewayTopic('gw-1', 'ota'), payload);
    expect(result.ok).toBe(true);
    if (result.ok && result.channel === 'ota')
      expect(JSON.stringify(result.message.manifest.manifest)).toBe(JSON.stringify(manifest));
  });
});
