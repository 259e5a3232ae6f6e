import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeDownlink,
  decodeUplink,
  downlinkChannelOf,
  encodeDownlink,
  encodeUplink,
  gatewayTopic,
  RETAINED_CHANNELS,
  uplinkChannelOf,
} from '@fleet/contracts';
import {
  downlinkMessageArb,
  gatewayIdArb,
  uplinkMessageArb,
} from '../support/security/mqtt-message-arbitraries.js';
import { propertyParameters } from '../support/security/property-budget.js';

describe('MQTT codec round trip', () => {
  it('every valid uplink message encodes and decodes to itself', () => {
    fc.assert(
      fc.property(gatewayIdArb, uplinkMessageArb, (gatewayId, message) => {
        const encoded = encodeUplink(gatewayId, message);
        const channel = uplinkChannelOf(message.type);
        expect(encoded).toMatchObject({
          topic: gatewayTopic(gatewayId, channel),
          qos: 1,
          retain: RETAINED_CHANNELS.has(channel),
        });
        const decoded = decodeUplink(encoded.topic, encoded.payload);
        expect(decoded).toMatchObject({ ok: true, gatewayId, channel });
        if (decoded.ok) expect(decoded.message).toEqual(message);
      }),
      propertyParameters(),
    );
  });

  it('every valid downlink message encodes and decodes to itself', () => {
    fc.assert(
      fc.property(gatewayIdArb, downlinkMessageArb, (gatewayId, message) => {
        const encoded = encodeDownlink(gatewayId, message);
        const channel = downlinkChannelOf(message.type);
        expect(encoded).toMatchObject({
          topic: gatewayTopic(gatewayId, channel),
          qos: 1,
          retain: RETAINED_CHANNELS.has(channel),
        });
        const decoded = decodeDownlink(encoded.topic, encoded.payload);
        expect(decoded).toMatchObject({ ok: true, gatewayId, channel });
        if (decoded.ok) expect(decoded.message).toEqual(message);
      }),
      propertyParameters(),
    );
  });
});
