/**
 * MQTT topic scheme: `fleet/v1/gw/<gatewayId>/<channel>`.
 * The version sits in the topic so a v2 scheme can run beside v1 during a migration, and the
 * per-gateway prefix is what broker ACLs key on (a gateway only touches its own subtree).
 */
export const MQTT_TOPIC_ROOT = 'fleet/v1/gw';

export const UPLINK_CHANNELS = [
  'status',
  'heartbeat',
  'telemetry',
  'cmd/ack',
  'cmd/result',
  'ota/status',
  'config/ack',
] as const;
export type UplinkChannel = (typeof UPLINK_CHANNELS)[number];

export const DOWNLINK_CHANNELS = ['config', 'cmd', 'ota', 'control'] as const;
export type DownlinkChannel = (typeof DOWNLINK_CHANNELS)[number];

export type MqttChannel = UplinkChannel | DownlinkChannel;
export type MqttDirection = 'uplink' | 'downlink';

/** Channels whose last message the broker keeps (presence and the desired configuration). */
export const RETAINED_CHANNELS: ReadonlySet<MqttChannel> = new Set<MqttChannel>([
  'status',
  'config',
]);

/**
 * Gateway ids are used verbatim as MQTT client ids, usernames and topic levels, so they must be
 * free of MQTT wildcards, `/`, `$` and whitespace. 64 characters fits a UUID or a serial number.
 */
export const GATEWAY_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export function isValidGatewayId(id: unknown): id is string {
  return typeof id === 'string' && GATEWAY_ID_PATTERN.test(id);
}

const uplinkSet: ReadonlySet<string> = new Set(UPLINK_CHANNELS);
const downlinkSet: ReadonlySet<string> = new Set(DOWNLINK_CHANNELS);

export function isUplinkChannel(channel: string): channel is UplinkChannel {
  return uplinkSet.has(channel);
}

export function isDownlinkChannel(channel: string): channel is DownlinkChannel {
  return downlinkSet.has(channel);
}

/** The topic of one gateway's channel. Throws on an id that would break the topic scheme. */
export function gatewayTopic(gatewayId: string, channel: MqttChannel): string {
  if (!isValidGatewayId(gatewayId)) {
    throw new RangeError(`invalid gateway id ${JSON.stringify(gatewayId)} for an MQTT topic`);
  }
  return `${MQTT_TOPIC_ROOT}/${gatewayId}/${channel}`;
}

export function gatewayUplinkTopics(gatewayId: string): string[] {
  return UPLINK_CHANNELS.map((c) => gatewayTopic(gatewayId, c));
}

export function gatewayDownlinkTopics(gatewayId: string): string[] {
  return DOWNLINK_CHANNELS.map((c) => gatewayTopic(gatewayId, c));
}

/**
 * Subscription filters covering every gateway's uplinks, one per channel (not `#`, which would
 * also match the downlinks the control plane publishes itself). With `sharedGroup` they become
 * MQTT shared subscriptions (`$share/<group>/...`) so several control-plane replicas split the work.
 */
export function uplinkSubscriptionFilters(sharedGroup?: string): string[] {
  if (sharedGroup !== undefined && !/^[A-Za-z0-9_-]{1,64}$/.test(sharedGroup)) {
    throw new RangeError(`invalid shared subscription group ${JSON.stringify(sharedGroup)}`);
  }
  const prefix = sharedGroup === undefined ? '' : `$share/${sharedGroup}/`;
  return UPLINK_CHANNELS.map((c) => `${prefix}${MQTT_TOPIC_ROOT}/+/${c}`);
}

export interface ParsedTopic {
  gatewayId: string;
  channel: MqttChannel;
  direction: MqttDirection;
}

/** Splits a topic of the scheme, or returns null for anything else (including bad gateway ids). */
export function parseGatewayTopic(topic: string): ParsedTopic | null {
  const prefix = `${MQTT_TOPIC_ROOT}/`;
  if (!topic.startsWith(prefix)) return null;
  const rest = topic.slice(prefix.length);
  const slash = rest.indexOf('/');
  if (slash <= 0) return null;
  const gatewayId = rest.slice(0, slash);
  const channel = rest.slice(slash + 1);
  if (!isValidGatewayId(gatewayId)) return null;
  if (isUplinkChannel(channel)) return { gatewayId, channel, direction: 'uplink' };
  if (isDownlinkChannel(channel)) return { gatewayId, channel, direction: 'downlink' };
  return null;
}
