export * from './mqtt-topics.js';
export * from './mqtt-limits.js';
export * from './contract.error.js';
export {
  ENTITY_ID_PATTERN,
  NAME_PATTERN as CONTRACT_NAME_PATTERN,
  MAX_FLAGS,
  MAX_STRING_VALUE_LENGTH,
  MAX_TIMESTAMP_MS,
  isWireValue,
  type ParamValue,
  type WireValue,
} from './contract-validators.js';
export {
  ErrorDetailDto,
  MQTT_CONTRACT_VERSION,
  ValidationIssueDto,
  VersionedMessageDto,
  type ErrorDetail,
  type ValidationIssue,
} from './message-parts.js';
export * from './status.message.js';
export * from './heartbeat.message.js';
export * from './telemetry.message.js';
export * from './command-ack.message.js';
export * from './command-result.message.js';
export * from './ota-status.message.js';
export * from './config-ack.message.js';
export * from './gateway-config.message.js';
export * from './command-batch.message.js';
export * from './ota-deployment.message.js';
export * from './control.message.js';
export * from './mqtt-codec.js';
