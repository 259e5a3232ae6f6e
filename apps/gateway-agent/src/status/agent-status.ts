import type { GatewayLifecycle, RejectionReason } from '@fleet/contracts';
import type { DispatcherStats } from '../agent/downlink-dispatcher.js';
import type { SessionState } from '../connectivity/index.js';
import type { ConfigStatus } from '../runtime/config.service.js';
import type { BusStatus, DeviceStatus } from '../runtime/device-runtime.js';
import type { TelemetryStats } from '../telemetry/telemetry-batcher.js';

export const STATUS_FILE = 'status.json';

export interface ConnectionStatus {
  /** The broker URL without credentials. */
  brokerUrl: string;
  state: SessionState;
  connected: boolean;
  connectedSince?: number;
  connects: number;
  disconnects: number;
  refusals: number;
  uplinksDelivered: number;
  lastRefusal?: { code: number; reason: string; at: number; hint: string };
  lastError?: string;
}

/** What the running agent writes to `status.json` every few seconds, for `gateway-agent status`. */
export interface AgentStatus {
  v: 1;
  pid: number;
  state: 'running' | 'stopped';
  startedAt: number;
  updatedAt: number;
  /** How often the file is rewritten: a file much older than this means the agent is stuck or gone. */
  statusIntervalMs: number;
  uptimeS: number;
  stoppedAt?: number;
  gatewayId: string;
  tenantId: string;
  siteId: string;
  lifecycle: GatewayLifecycle;
  agentVersion: string;
  firmwareVersion: string;
  bootId: string;
  connection: ConnectionStatus;
  config: ConfigStatus;
  buses: BusStatus[];
  devices: DeviceStatus[];
  outbox: { depth: number; bytes: number; dropped: number };
  telemetry: TelemetryStats;
  downlinks: DispatcherStats & { invalid: Record<RejectionReason, number>; handlerErrors: number };
}

export type Liveness =
  | { running: true }
  | { running: false; reason: 'no_status' | 'stopped' | 'process_gone' | 'stale'; detail: string };

/** A status file this much older than its interval (and at least 15 s) means the agent is not running. */
export function staleAfterMs(status: Pick<AgentStatus, 'statusIntervalMs'>): number {
  return Math.max(15_000, status.statusIntervalMs * 3);
}

/** Whether the agent that wrote `status` is running now. */
export function assessLiveness(
  status: AgentStatus | undefined,
  now: number,
  pidAlive: (pid: number) => boolean,
): Liveness {
  if (!status) {
    return {
      running: false,
      reason: 'no_status',
      detail: 'the agent has not run with this state directory',
    };
  }
  const at = new Date(status.stoppedAt ?? status.updatedAt).toISOString();
  if (status.state === 'stopped') {
    return { running: false, reason: 'stopped', detail: `the agent stopped at ${at}` };
  }
  if (!pidAlive(status.pid)) {
    return {
      running: false,
      reason: 'process_gone',
      detail: `the agent (pid ${status.pid}) is gone; it last reported at ${at} and did not stop cleanly`,
    };
  }
  const age = now - status.updatedAt;
  if (age > staleAfterMs(status)) {
    return {
      running: false,
      reason: 'stale',
      detail: `the agent (pid ${status.pid}) has not reported for ${Math.round(age / 1000)} s (last at ${at}); it may be stuck`,
    };
  }
  return { running: true };
}
