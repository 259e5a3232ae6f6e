import type { ApiClient } from '../api/api-client.js';
import type { Page } from '../api/api-types.js';
import type { ParamValue } from './parameter-values.js';

/**
 * The command-dispatch API (issue 5: POST /api/v1/commands, GET /api/v1/commands/:id, cancel,
 * progress events). Its shapes live here only, so aligning them with the server is one file.
 */
export const EXECUTION_STATES = [
  'queued',
  'sent',
  'delivered',
  'succeeded',
  'failed',
  'timed_out',
  'expired',
  'canceled',
] as const;
export type ExecutionState = (typeof EXECUTION_STATES)[number];
export const FINAL_STATES: readonly ExecutionState[] = [
  'succeeded',
  'failed',
  'timed_out',
  'expired',
  'canceled',
];

export interface CommandCreate {
  selector?: string;
  deviceIds?: string[];
  command: string;
  params: Record<string, ParamValue>;
  ttlSeconds?: number;
  priority?: 'normal' | 'high';
  idempotencyKey: string;
}

export interface CommandSummary {
  id: string;
  command: string;
  selector?: string | null;
  createdAt: string;
  createdBy?: string | null;
  counts: Partial<Record<ExecutionState, number>>;
  total: number;
}

export interface ExecutionResult {
  deviceId: string;
  deviceName?: string;
  state: ExecutionState;
  updatedAt?: string;
  result?: unknown;
  error?: { code: string; message: string } | null;
}

export function createCommand(api: ApiClient, body: CommandCreate): Promise<CommandSummary> {
  return api.post<CommandSummary>('/api/v1/commands', body);
}

export function getCommand(
  api: ApiClient,
  id: string,
  signal?: AbortSignal,
): Promise<CommandSummary> {
  return api.get<CommandSummary>(`/api/v1/commands/${id}`, {}, signal);
}

export function listResults(
  api: ApiClient,
  id: string,
  cursor: string | null,
  signal?: AbortSignal,
): Promise<Page<ExecutionResult>> {
  return api.get<Page<ExecutionResult>>(
    `/api/v1/commands/${id}/results`,
    { limit: 100, cursor: cursor ?? undefined },
    signal,
  );
}

export function listCommands(
  api: ApiClient,
  selector: string | undefined,
  signal?: AbortSignal,
): Promise<Page<CommandSummary>> {
  return api.get<Page<CommandSummary>>('/api/v1/commands', { selector, limit: 20 }, signal);
}

export function cancelCommand(api: ApiClient, id: string): Promise<CommandSummary> {
  return api.post<CommandSummary>(`/api/v1/commands/${id}/cancel`);
}

export function finished(summary: Pick<CommandSummary, 'counts' | 'total'>): number {
  return FINAL_STATES.reduce((sum, s) => sum + (summary.counts[s] ?? 0), 0);
}
