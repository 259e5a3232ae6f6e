export { ROLES, isRole, type Role } from './auth/roles.js';
export {
  DEVICE_SELECTOR_KEYS,
  GATEWAY_SELECTOR_KEYS,
  SelectorSyntaxError,
  formatSelector,
  mergeSelector,
  parseSelector,
  type DeviceSelectorKey,
  type GatewaySelectorKey,
  type Selector,
  type SelectorTerm,
} from './selector/selector.js';
export * from './mqtt/index.js';
export {
  CLAIM_CODE_PATTERN,
  EnrollmentRequestDto,
  EnrollmentResponseDto,
  GATEWAY_LIFECYCLES,
  MqttCredentialsDto,
  normalizeClaimCode,
  type GatewayLifecycle,
} from './enrollment/enrollment.contract.js';
export {
  QUEUE_NAMES,
  defineJob,
  type JobDefinition,
  type QueueName,
} from './queues/job-definition.js';
export {
  COMMAND_DISPATCH_JOB,
  COMMAND_EXPIRE_JOB,
  COMMAND_EXPIRY_PHASES,
  COMMAND_RESEND_JOB,
  CommandDispatchJobDto,
  CommandExpireJobDto,
  CommandResendJobDto,
  type CommandExpiryPhase,
} from './queues/command-jobs.js';
export { ROLLOUT_TICK, RolloutTickPayload } from './queues/rollout-jobs.js';
