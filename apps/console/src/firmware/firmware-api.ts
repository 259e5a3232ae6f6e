import type { ApiClient } from '../api/api-client.js';
import type { Page } from '../api/api-types.js';

/**
 * Firmware releases and rollouts (issue 6). Shapes live here only, so aligning them with the
 * server when its routes land is one file.
 */
export interface FirmwareRelease {
  id: string;
  version: string;
  kind: string;
  models: string[];
  hardwareRevisions: string[] | null;
  minVersion: string | null;
  size: number;
  sha256: string;
  releaseNotes: string;
  /** Verified at upload (an unverifiable upload is refused); the key may be revoked since. */
  signature: { keyId: string; keyRevoked: boolean };
  createdAt: string;
  recalledAt: string | null;
  recallReason: string | null;
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
  /** 1-based. */
  index: number;
  spec: string;
  size: number;
  state: 'pending' | 'active' | 'done';
  counts: Record<string, number>;
}

export interface Rollout {
  id: string;
  name: string;
  releaseId: string;
  version: string;
  state: string;
  stateReason: string | null;
  selector: string;
  currentWave: number;
  waves: RolloutWave[];
  counts: Record<string, number>;
  total: number;
  createdAt: string;
}

export interface RolloutCreate {
  releaseId: string;
  selector: string;
  waves: string[];
  successThresholdPercent: number;
  failureThreshold: { percent: number; minSample: number; action: 'pause' | 'abort' };
  maxConcurrent: number;
  maintenanceWindow?: { cron: string; durationMinutes: number; timeZone: string };
  allowDowngrade: boolean;
  includeLateJoiners: boolean;
}

export interface RolloutPreview {
  matched: number;
  eligible: number;
  waves: { index: number; spec: string; size: number }[];
  excluded: { total: number; byReason: Record<string, number> };
}

export const listReleases = (api: ApiClient, signal?: AbortSignal) =>
  api.get<Page<FirmwareRelease>>('/api/v1/firmware/releases', { limit: 100 }, signal);
export const listRollouts = (api: ApiClient, signal?: AbortSignal) =>
  api.get<Page<Rollout>>('/api/v1/rollouts', { limit: 50 }, signal);
export const getRollout = (api: ApiClient, id: string, signal?: AbortSignal) =>
  api.get<Rollout>(`/api/v1/rollouts/${id}`, {}, signal);
export const createRollout = (api: ApiClient, body: RolloutCreate) =>
  api.post<Rollout>('/api/v1/rollouts', body);
export const previewRollout = (api: ApiClient, body: RolloutCreate) =>
  api.request<RolloutPreview>('POST', '/api/v1/rollouts/preview', { body });
export const rolloutAction = (api: ApiClient, id: string, action: 'pause' | 'resume' | 'cancel') =>
  api.post<Rollout>(`/api/v1/rollouts/${id}/${action}`);
