import type { ApiClient } from '../api/api-client.js';
import type { Page } from '../api/api-types.js';
import type { ParamValue } from './parameter-values.js';

/**
 * The command-dispatch API (apps/control-plane/src/commands/commands.controller.ts). Its shapes
 * live here only.
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

/** Higher runs first (0-100, default 50). */
export const PRIORITIES = { normal: 50, high: 90 } as const;

export interface CommandTarget {
  deviceIds?: string[];
  selector?: string;
}

export interface CommandCreate {
  target: CommandTarget;
  command: string;
  params: Record<string, ParamValue>;
  ttlSeconds?: number;
  priority?: number;
  idempotencyKey: string;
}

export interface CommandSummary {
  id: string;
  command: string;
  params: Record<string, unknown>;
  target: CommandTarget;
  priority: number;
  state: 'active' | 'completed' | 'canceled';
  done: boolean;
  total: number;
  counts: Partial<Record<ExecutionState, number>>;
  createdBy: { userId: string | null; name: string | null };
  createdAt: string;
  expiresAt: string;
  finishedAt: string | null;
}

export interface ExecutionResult {
  id: string;
  deviceId: string;
  deviceName: string | null;
  gatewayId: string;
  state: ExecutionState;
  attempts: number;
  updatedAt: string;
  finishedAt: string | null;
  result: unknown;
  error: { code: string; message: string } | null;
}

export interface CommandDetail extends CommandSummary {
  results: Page<ExecutionResult>;
}

export function createCommand(api: ApiClient, body: CommandCreate): Promise<CommandDetail> {
  return api.post<CommandDetail>('/api/v1/commands', body);
}

export function getCommand(
  api: ApiClient,
  id: string,
  signal?: AbortSignal,
): Promise<CommandDetail> {
  return api.get<CommandDetail>(`/api/v1/commands/${id}`, { limit: 100 }, signal);
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
  limit: number,
  signal?: AbortSignal,
): Promise<Page<CommandSummary>> {
  return api.get<Page<CommandSummary>>('/api/v1/commands', { limit }, signal);
}

export function cancelCommand(api: ApiClient, id: string): Promise<CommandDetail> {
  return api.post<CommandDetail>(`/api/v1/commands/${id}/cancel`);
}

export function finished(summary: Pick<CommandSummary, 'counts'>): number {
  return (['succeeded', 'failed', 'timed_out', 'expired', 'canceled'] as const).reduce(
    (sum, s) => sum + (summary.counts[s] ?? 0),
    0,
  );
}

/** How a command's target reads: its selector, or how many devices it named. */
export function targetText(target: CommandTarget): string {
  if (target.selector) return target.selector;
  return `id=${(target.deviceIds ?? []).slice(0, 3).join('|')}${
    (target.deviceIds?.length ?? 0) > 3 ? '|…' : ''
  }`;
}
