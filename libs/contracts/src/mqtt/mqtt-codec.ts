import { plainToInstance, type ClassConstructor } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';
import { CommandAckMessageDto, type CommandAckMessage } from './command-ack.message.js';
import { CommandBatchMessageDto, type CommandBatchMessage } from './command-batch.message.js';
import { CommandResultMessageDto, type CommandResultMessage } from './command-result.message.js';
import { ConfigAckMessageDto, type ConfigAckMessage } from './config-ack.message.js';
import { ContractError } from './contract.error.js';
import { ELEMENT_ISSUES_CONSTRAINT } from './contract-validators.js';
import { ControlMessageDto, type ControlMessage } from './control.message.js';
import { GatewayConfigMessageDto, type GatewayConfigMessage } from './gateway-config.message.js';
import { HeartbeatMessageDto, type HeartbeatMessage } from './heartbeat.message.js';
import { MQTT_CONTRACT_VERSION, type ValidationIssue } from './message-parts.js';
import { resolveMqttSizeLimits, type MqttSizeLimits } from './mqtt-limits.js';
import {
  gatewayTopic,
  parseGatewayTopic,
  RETAINED_CHANNELS,
  type DownlinkChannel,
  type MqttChannel,
  type UplinkChannel,
} from './mqtt-topics.js';
import { OtaDeploymentMessageDto, type OtaDeploymentMessage } from './ota-deployment.message.js';
import { OtaStatusMessageDto, type OtaStatusMessage } from './ota-status.message.js';
import { StatusMessageDto, type StatusMessage } from './status.message.js';
import { TelemetryMessageDto, type TelemetryMessage } from './telemetry.message.js';

export interface UplinkMessageMap {
  status: StatusMessage;
  heartbeat: HeartbeatMessage;
  telemetry: TelemetryMessage;
  'cmd/ack': CommandAckMessage;
  'cmd/result': CommandResultMessage;
  'ota/status': OtaStatusMessage;
  'config/ack': ConfigAckMessage;
}

export interface DownlinkMessageMap {
  config: GatewayConfigMessage;
  cmd: CommandBatchMessage;
  ota: OtaDeploymentMessage;
  control: ControlMessage;
}

export type UplinkMessage = UplinkMessageMap[UplinkChannel];
export type DownlinkMessage = DownlinkMessageMap[DownlinkChannel];
export type UplinkMessageType = UplinkMessage['type'];
export type DownlinkMessageType = DownlinkMessage['type'];

interface ChannelSpec {
  messageClass: ClassConstructor<object>;
  type: string;
}

const CHANNEL_SPECS: Readonly<Record<MqttChannel, ChannelSpec>> = {
  status: { messageClass: StatusMessageDto, type: 'status' },
  heartbeat: { messageClass: HeartbeatMessageDto, type: 'heartbeat' },
  telemetry: { messageClass: TelemetryMessageDto, type: 'telemetry' },
  'cmd/ack': { messageClass: CommandAckMessageDto, type: 'cmd_ack' },
  'cmd/result': { messageClass: CommandResultMessageDto, type: 'cmd_result' },
  'ota/status': { messageClass: OtaStatusMessageDto, type: 'ota_status' },
  'config/ack': { messageClass: ConfigAckMessageDto, type: 'config_ack' },
  config: { messageClass: GatewayConfigMessageDto, type: 'config' },
  cmd: { messageClass: CommandBatchMessageDto, type: 'cmd' },
  ota: { messageClass: OtaDeploymentMessageDto, type: 'ota' },
  control: { messageClass: ControlMessageDto, type: 'control' },
};

const UPLINK_CHANNEL_BY_TYPE: Readonly<Record<UplinkMessageType, UplinkChannel>> = {
  status: 'status',
  heartbeat: 'heartbeat',
  telemetry: 'telemetry',
  cmd_ack: 'cmd/ack',
  cmd_result: 'cmd/result',
  ota_status: 'ota/status',
  config_ack: 'config/ack',
};

const DOWNLINK_CHANNEL_BY_TYPE: Readonly<Record<DownlinkMessageType, DownlinkChannel>> = {
  config: 'config',
  cmd: 'cmd',
  ota: 'ota',
  control: 'control',
};

export const REJECTION_REASONS = ['unknown_topic', 'oversize', 'not_json', 'invalid'] as const;
export type RejectionReason = (typeof REJECTION_REASONS)[number];

/** Why a received message was not accepted. Never thrown: returned by the decoders. */
export interface ContractRejection {
  reason: RejectionReason;
  topic: string;
  /** Known once the topic parsed. */
  gatewayId?: string;
  channel?: MqttChannel;
  bytes: number;
  /** One line for logs, e.g. `invalid telemetry: readings[3].value must be ...`. */
  detail: string;
  /** Field-level problems (reason invalid), at most MAX_REPORTED_ISSUES. */
  issues: ValidationIssue[];
}

export interface RejectedMessage {
  ok: false;
  rejection: ContractRejection;
}

export type DecodedUplink = {
  [C in UplinkChannel]: {
    ok: true;
    topic: string;
    gatewayId: string;
    channel: C;
    message: UplinkMessageMap[C];
  };
}[UplinkChannel];

export type DecodedDownlink = {
  [C in DownlinkChannel]: {
    ok: true;
    topic: string;
    gatewayId: string;
    channel: C;
    message: DownlinkMessageMap[C];
  };
}[DownlinkChannel];

export type UplinkDecodeResult = DecodedUplink | RejectedMessage;
export type DownlinkDecodeResult = DecodedDownlink | RejectedMessage;

/** What to hand to an MQTT client: QoS is always 1, retain follows the channel. */
export interface EncodedMessage {
  topic: string;
  payload: Buffer;
  qos: 1;
  retain: boolean;
  gatewayId: string;
  channel: MqttChannel;
}

export interface CodecOptions {
  /** Overrides of DEFAULT_MQTT_SIZE_LIMITS. */
  limits?: Partial<MqttSizeLimits>;
}

export interface EncodeOptions extends CodecOptions {
  /** Validate against the contract before encoding (default true). */
  validate?: boolean;
}

export const MAX_REPORTED_ISSUES = 20;

const utf8 = new TextDecoder('utf-8', { fatal: true });

function toBuffer(payload: Buffer | Uint8Array | string): Buffer {
  if (typeof payload === 'string') return Buffer.from(payload, 'utf8');
  return Buffer.isBuffer(payload)
    ? payload
    : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
}

function joinPath(parent: string, property: string, parentIsArray: boolean): string {
  if (parentIsArray && /^\d+$/.test(property)) return `${parent}[${property}]`;
  return parent === '' ? property : `${parent}.${property}`;
}

/** Flattens class-validator's error tree into `path: message` pairs. */
export function flattenValidationErrors(
  errors: readonly ValidationError[],
  parent = '',
  parentIsArray = false,
  out: ValidationIssue[] = [],
): ValidationIssue[] {
  for (const error of errors) {
    if (out.length >= MAX_REPORTED_ISSUES) break;
    const path = joinPath(parent, error.property, parentIsArray);
    for (const [name, message] of Object.entries(error.constraints ?? {})) {
      if (out.length >= MAX_REPORTED_ISSUES) break;
      if (name === ELEMENT_ISSUES_CONSTRAINT) {
        for (const line of message.split('\n')) {
          const tab = line.indexOf('\t');
          if (tab >= 0 && out.length < MAX_REPORTED_ISSUES)
            out.push({ path: `${path}${line.slice(0, tab)}`, message: line.slice(tab + 1) });
        }
      } else if (name === 'unknownValue') {
        out.push({ path, message: 'must be a JSON object' });
      } else {
        out.push({
          path,
          message: message.startsWith(`${error.property} `)
            ? message.slice(error.property.length + 1)
            : message,
        });
      }
    }
    if (error.children && error.children.length > 0) {
      flattenValidationErrors(error.children, path, Array.isArray(error.value), out);
    }
  }
  return out;
}

/**
 * Fields handed over exactly as parsed instead of through a class-transformer copy: telemetry
 * readings (checked element by element with a hand-written loop, @EachElement, since a copy of
 * thousands of readings costs more than the check), and the signed firmware manifest, which is
 * opaque here and must reach the verifier byte for byte (class-transformer rewrites or chokes on
 * keys such as `constructor` or `valueOf`).
 */
const PASS_THROUGH_FIELDS = new Map<ClassConstructor<object>, readonly (readonly string[])[]>([
  [TelemetryMessageDto, [['readings']]],
  [OtaDeploymentMessageDto, [['manifest', 'manifest']]],
]);

/** Messages are a few levels deep; anything deeper is refused before recursive code sees it. */
export const MAX_MESSAGE_DEPTH = 32;

interface DepthFrame {
  value: object;
  depth: number;
  key: string;
  parent: DepthFrame | undefined;
}

/** The path of the first value nested deeper than `max` levels (iterative: no stack to overflow). */
function tooDeep(value: unknown, max: number): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const stack: DepthFrame[] = [{ value, depth: 0, key: '', parent: undefined }];
  while (stack.length > 0) {
    const frame = stack.pop()!;
    if (frame.depth > max) {
      // The path is built only for the one value reported: telemetry batches hold 20,000 objects.
      const keys: DepthFrame[] = [];
      for (let f: DepthFrame | undefined = frame; f?.parent; f = f.parent) keys.unshift(f);
      return keys.reduce((path, f) => joinPath(path, f.key, Array.isArray(f.parent!.value)), '');
    }
    for (const key of Object.keys(frame.value)) {
      const child = (frame.value as Record<string, unknown>)[key];
      if (typeof child === 'object' && child !== null)
        stack.push({ value: child, depth: frame.depth + 1, key, parent: frame });
    }
  }
  return undefined;
}

function getIn(value: unknown, path: readonly string[]): unknown {
  let v = value;
  for (const key of path) {
    if (typeof v !== 'object' || v === null || !Object.hasOwn(v, key)) return undefined;
    v = (v as Record<string, unknown>)[key];
  }
  return v;
}

/** Checks one plain value against a message class; issues are empty when it is valid. */
function validateAs<T extends object>(
  messageClass: ClassConstructor<T>,
  plain: Record<string, unknown>,
): { instance: T; issues: ValidationIssue[] } {
  const passThrough = PASS_THROUGH_FIELDS.get(messageClass) ?? [];
  // A shallow copy of each object on a pass-through path, without the field itself
  // (Object.fromEntries keeps an own `__proto__` key an ordinary key).
  const detach = (value: unknown, path: readonly string[]): unknown => {
    if (!isJsonObject(value)) return value;
    const [head, ...tail] = path;
    return Object.fromEntries(
      Object.entries(value).flatMap(([key, v]): [string, unknown][] =>
        key !== head ? [[key, v]] : tail.length === 0 ? [] : [[key, detach(v, tail)]],
      ),
    );
  };
  const rest = passThrough.reduce<unknown>((v, path) => detach(v, path), plain);
  const instance = plainToInstance(messageClass, rest as Record<string, unknown>);
  for (const path of passThrough) {
    const parent = getIn(instance, path.slice(0, -1));
    const original = getIn(plain, path.slice(0, -1));
    const field = path.at(-1) ?? '';
    if (isJsonObject(parent) && isJsonObject(original) && Object.hasOwn(original, field))
      parent[field] = original[field];
  }
  const errors = validateSync(instance, {
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    validationError: { target: false, value: true },
  });
  return { instance, issues: flattenValidationErrors(errors) };
}

function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkHeader(plain: Record<string, unknown>, expectedType: string): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  if (plain['v'] !== MQTT_CONTRACT_VERSION) {
    issues.push({
      path: 'v',
      message: `must be ${MQTT_CONTRACT_VERSION} (contract version), got ${JSON.stringify(plain['v']) ?? 'nothing'}`,
    });
  }
  if (plain['type'] !== expectedType) {
    issues.push({
      path: 'type',
      message: `must be "${expectedType}" on this topic, got ${JSON.stringify(plain['type']) ?? 'nothing'}`,
    });
  }
  return issues;
}

function reject(
  reason: RejectionReason,
  topic: string,
  bytes: number,
  detail: string,
  extra: { gatewayId?: string; channel?: MqttChannel; issues?: ValidationIssue[] } = {},
): RejectedMessage {
  const rejection: ContractRejection = { reason, topic, bytes, detail, issues: extra.issues ?? [] };
  if (extra.gatewayId !== undefined) rejection.gatewayId = extra.gatewayId;
  if (extra.channel !== undefined) rejection.channel = extra.channel;
  return { ok: false, rejection };
}

function decode(
  direction: 'uplink' | 'downlink',
  topic: string,
  rawPayload: Buffer | Uint8Array | string,
  options: CodecOptions | undefined,
): { ok: true; gatewayId: string; channel: MqttChannel; message: object } | RejectedMessage {
  let payload: Buffer;
  let limits: MqttSizeLimits;
  try {
    payload = toBuffer(rawPayload);
    limits = resolveMqttSizeLimits(options?.limits);
  } catch (error) {
    return reject('invalid', topic, 0, `cannot read payload: ${(error as Error).message}`);
  }
  const bytes = payload.length;
  const parsed = typeof topic === 'string' ? parseGatewayTopic(topic) : null;
  if (!parsed || parsed.direction !== direction) {
    return reject('unknown_topic', topic, bytes, `not a ${direction} topic of the fleet/v1 scheme`);
  }
  const { gatewayId, channel } = parsed;
  const where = { gatewayId, channel };
  const limit = limits[channel];
  if (bytes > limit) {
    return reject(
      'oversize',
      topic,
      bytes,
      `${channel} payload of ${bytes} bytes exceeds ${limit}`,
      where,
    );
  }
  let plain: unknown;
  try {
    plain = JSON.parse(utf8.decode(payload));
  } catch (error) {
    return reject(
      'not_json',
      topic,
      bytes,
      `${channel} payload is not UTF-8 JSON: ${(error as Error).message}`,
      where,
    );
  }
  if (!isJsonObject(plain)) {
    const issues = [{ path: '', message: 'must be a JSON object' }];
    return reject('invalid', topic, bytes, `invalid ${channel}: payload must be a JSON object`, {
      ...where,
      issues,
    });
  }
  const deep = tooDeep(plain, MAX_MESSAGE_DEPTH);
  if (deep !== undefined) {
    const issues = [{ path: deep, message: `is nested deeper than ${MAX_MESSAGE_DEPTH} levels` }];
    return reject('invalid', topic, bytes, `invalid ${channel}: ${deep} is nested too deep`, {
      ...where,
      issues,
    });
  }
  const spec = CHANNEL_SPECS[channel];
  let issues = checkHeader(plain, spec.type);
  let instance: object | undefined;
  if (issues.length === 0) {
    try {
      ({ instance, issues } = validateAs(spec.messageClass, plain));
    } catch (error) {
      issues = [{ path: '', message: `could not be validated: ${(error as Error).message}` }];
    }
  }
  if (issues.length > 0 || !instance) {
    const summary = issues.map((i) => (i.path ? `${i.path} ${i.message}` : i.message)).join('; ');
    return reject('invalid', topic, bytes, `invalid ${channel}: ${summary}`, { ...where, issues });
  }
  return { ok: true, gatewayId, channel, message: instance };
}

/**
 * Decodes a message a gateway published. Never throws: anything unusable comes back as a
 * rejection saying why (unknown topic, oversize, not JSON, invalid field with its path).
 */
export function decodeUplink(
  topic: string,
  payload: Buffer | Uint8Array | string,
  options?: CodecOptions,
): UplinkDecodeResult {
  const result = decode('uplink', topic, payload, options);
  if (!result.ok) return result;
  return { ...result, topic } as DecodedUplink;
}

/** Decodes a message the control plane published to a gateway. Never throws. */
export function decodeDownlink(
  topic: string,
  payload: Buffer | Uint8Array | string,
  options?: CodecOptions,
): DownlinkDecodeResult {
  const result = decode('downlink', topic, payload, options);
  if (!result.ok) return result;
  return { ...result, topic } as DecodedDownlink;
}

function encode(
  gatewayId: string,
  channel: MqttChannel,
  message: object,
  options: EncodeOptions | undefined,
): EncodedMessage {
  let topic: string;
  try {
    topic = gatewayTopic(gatewayId, channel);
  } catch (error) {
    throw new ContractError('INVALID_TOPIC', (error as Error).message);
  }
  if (options?.validate !== false) {
    const plain = message as Record<string, unknown>;
    let issues = checkHeader(plain, CHANNEL_SPECS[channel].type);
    if (issues.length === 0) issues = validateAs(CHANNEL_SPECS[channel].messageClass, plain).issues;
    if (issues.length > 0) {
      const summary = issues.map((i) => `${i.path} ${i.message}`).join('; ');
      throw new ContractError('INVALID_MESSAGE', `invalid ${channel} message: ${summary}`, issues);
    }
  }
  const payload = Buffer.from(JSON.stringify(message), 'utf8');
  const limit = resolveMqttSizeLimits(options?.limits)[channel];
  if (payload.length > limit) {
    throw new ContractError(
      'OVERSIZE',
      `${channel} message of ${payload.length} bytes exceeds the ${limit}-byte limit`,
    );
  }
  return { topic, payload, qos: 1, retain: RETAINED_CHANNELS.has(channel), gatewayId, channel };
}

/** The channel an uplink message type travels on. */
export function uplinkChannelOf(type: UplinkMessageType): UplinkChannel {
  return UPLINK_CHANNEL_BY_TYPE[type];
}

export function downlinkChannelOf(type: DownlinkMessageType): DownlinkChannel {
  return DOWNLINK_CHANNEL_BY_TYPE[type];
}

/**
 * Encodes a gateway's message for publishing. Throws ContractError (INVALID_MESSAGE, OVERSIZE,
 * INVALID_TOPIC): sending something the contract forbids is a bug on the sending side.
 */
export function encodeUplink(
  gatewayId: string,
  message: UplinkMessage,
  options?: EncodeOptions,
): EncodedMessage {
  const channel = UPLINK_CHANNEL_BY_TYPE[message.type] as UplinkChannel | undefined;
  if (!channel)
    throw new ContractError(
      'INVALID_MESSAGE',
      `unknown uplink message type ${JSON.stringify(message.type)}`,
    );
  return encode(gatewayId, channel, message, options);
}

/** Encodes a control-plane message for one gateway. Throws ContractError like encodeUplink. */
export function encodeDownlink(
  gatewayId: string,
  message: DownlinkMessage,
  options?: EncodeOptions,
): EncodedMessage {
  const channel = DOWNLINK_CHANNEL_BY_TYPE[message.type] as DownlinkChannel | undefined;
  if (!channel)
    throw new ContractError(
      'INVALID_MESSAGE',
      `unknown downlink message type ${JSON.stringify(message.type)}`,
    );
  return encode(gatewayId, channel, message, options);
}
