export { ConnectivityError, type ConnectivityErrorCode } from './connectivity.error.js';
export { silentConnectivityLogger, type ConnectivityLogger } from './connectivity-logger.js';
export {
  DiskBuffer,
  type BufferedEntry,
  type DiskBufferOptions,
  type DiskBufferStats,
} from './disk-buffer.js';
export { ExecutionDedupe, type ExecutionDedupeOptions } from './execution-dedupe.js';
export {
  ReconnectBackoff,
  type ReconnectBackoffOptions,
  type RetryReason,
} from './reconnect-backoff.js';
export {
  GatewaySession,
  type BufferedUplink,
  type GatewaySessionEvents,
  type GatewaySessionOptions,
  type HeartbeatSnapshot,
  type RefusalReason,
  type SessionState,
  type SessionStats,
  type SessionTlsOptions,
} from './gateway-session.js';
