import type { MqttChannel } from './mqtt-topics.js';

/**
 * Largest accepted payload per channel, in bytes. Checked before JSON parsing on receipt and
 * before publishing on send. Brokers should allow a little more than the largest of these
 * (Mosquitto `max_packet_size`, see deploy/mosquitto).
 */
export type MqttSizeLimits = Readonly<Record<MqttChannel, number>>;

const KiB = 1024;

export const DEFAULT_MQTT_SIZE_LIMITS: MqttSizeLimits = Object.freeze({
  status: 4 * KiB,
  heartbeat: 16 * KiB,
  telemetry: 256 * KiB,
  'cmd/ack': 64 * KiB,
  'cmd/result': 256 * KiB,
  'ota/status': 8 * KiB,
  'config/ack': 64 * KiB,
  config: 1024 * KiB,
  cmd: 256 * KiB,
  ota: 64 * KiB,
  control: 4 * KiB,
});

/** Defaults overlaid with the given values; rejects non-positive or non-integer limits. */
export function resolveMqttSizeLimits(overrides?: Partial<MqttSizeLimits>): MqttSizeLimits {
  if (!overrides) return DEFAULT_MQTT_SIZE_LIMITS;
  const merged: Record<string, number> = { ...DEFAULT_MQTT_SIZE_LIMITS };
  for (const [channel, value] of Object.entries(overrides)) {
    if (!(channel in DEFAULT_MQTT_SIZE_LIMITS)) {
      throw new RangeError(`unknown MQTT channel in size limits: ${channel}`);
    }
    if (value === undefined) continue;
    if (!Number.isInteger(value) || value <= 0) {
      throw new RangeError(
        `MQTT size limit for ${channel} must be a positive integer, got ${value}`,
      );
    }
    merged[channel] = value;
  }
  return Object.freeze(merged);
}

/**
 * `channel=bytes` pairs separated by commas (the `MQTT_SIZE_LIMITS` setting of both ends), e.g.
 * `telemetry=131072,cmd/result=65536`. Throws a RangeError naming the bad pair.
 */
export function parseMqttSizeLimits(text: string): Partial<MqttSizeLimits> {
  const limits: Record<string, number> = {};
  for (const pair of text.split(',')) {
    const match = /^\s*([a-z/]+)=(\d{1,10})\s*$/.exec(pair);
    if (!match) throw new RangeError(`"${pair}" is not channel=bytes`);
    const [, channel, bytes] = match as unknown as [string, string, string];
    if (!(channel in DEFAULT_MQTT_SIZE_LIMITS)) {
      throw new RangeError(
        `unknown channel "${channel}" (channels: ${Object.keys(DEFAULT_MQTT_SIZE_LIMITS).join(', ')})`,
      );
    }
    limits[channel] = Number(bytes);
  }
  // The codec's own checks too (positive integers), so a bad value fails here, named.
  resolveMqttSizeLimits(limits);
  return limits;
}
