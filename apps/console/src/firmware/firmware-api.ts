import type { ApiClient } from '../api/api-client.js';
import type { Page } from '../api/api-types.js';

/**
 * Firmware releases and rollouts (issue 6). Shapes live here only, so aligning them with the
 * server when its routes land is one file.
 */
export interface FirmwareRelease {
  id: string;
  version: string;
  models: string[];
  hardwareRevisions?: string[];
  size: number;
  sha256: string;
  signature: { valid: boolean; keyId: string | null };
  notes?: string | null;
  createdAt: string;
  recalledAt?: string | null;
}

export const DEPLOYMENT_STATES = [
  'scheduled',
  'downloading',
  'downloaded',
  'installing',
  'rebooting',
  'verifying',
  'succeeded',
  'failed',
  'rolled_back',
  'canceled',
  'timed_out',
] as const;

export interface RolloutWave {
  index: number;
  size: number;
  state: string;
  counts: Record<string, number>;
}

export interface Rollout {
  id: string;
  releaseId: string;
  version?: string;
  state: string;
  selector: string;
  waves: RolloutWave[];
  createdAt: string;
  createdBy?: string | null;
}

export interface RolloutCreate {
  releaseId: string;
  selector: string;
  waves: string[];
  successThresholdPercent: number;
  failureThreshold: { percent: number; minSample: number };
  maxConcurrent: number;
  maintenanceWindow?: { cron: string; durationMinutes: number; timeZone: string };
  allowDowngrade: boolean;
  includeLater: boolean;
}

export const listReleases = (api: ApiClient, signal?: AbortSignal) =>
  api.get<Page<FirmwareRelease>>('/api/v1/firmware/releases', { limit: 100 }, signal);
export const listRollouts = (api: ApiClient, signal?: AbortSignal) =>
  api.get<Page<Rollout>>('/api/v1/rollouts', { limit: 50 }, signal);
export const getRollout = (api: ApiClient, id: string, signal?: AbortSignal) =>
  api.get<Rollout>(`/api/v1/rollouts/${id}`, {}, signal);
export const createRollout = (api: ApiClient, body: RolloutCreate) =>
  api.post<Rollout>('/api/v1/rollouts', body);
export const rolloutAction = (api: ApiClient, id: string, action: 'pause' | 'resume' | 'cancel') =>
  api.post<Rollout>(`/api/v1/rollouts/${id}/${action}`);
