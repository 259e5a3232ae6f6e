import type { Readable } from 'node:stream';

export interface StageLimits {
  /** More bytes than this fail with ARTIFACT_TOO_LARGE (and nothing is kept). */
  maxBytes: number;
  /** No byte for this long fails with UPLOAD_STALLED. */
  idleTimeoutMs: number;
  /** The whole transfer must finish within this. */
  totalTimeoutMs: number;
}

/** Bytes written to the store's staging area, hashed on the way in, not yet visible under a key. */
export interface StagedArtifact {
  readonly sha256: string;
  readonly size: number;
  /** Makes the bytes readable under `key` (atomic rename on a filesystem). */
  commit(key: string): Promise<void>;
  /** Removes the staged bytes; safe to call twice or after commit failed. */
  discard(): Promise<void>;
}

/**
 * Where firmware artifacts live. Writes are staged and committed only after verification, so a
 * rejected or interrupted upload leaves nothing behind; reads stream (optionally a byte range).
 */
export interface ArtifactStore {
  stage(source: Readable, limits: StageLimits): Promise<StagedArtifact>;
  size(key: string): Promise<number | undefined>;
  /** A stream of the bytes `start..end` (inclusive), or of the whole artifact. */
  read(key: string, range?: { start: number; end: number }): Promise<Readable>;
  remove(key: string): Promise<void>;
}

export const ARTIFACT_STORE = Symbol('ARTIFACT_STORE');

const KEY = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}(\/[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}){0,3}$/;

/** Keys are short relative paths without `..`, so no driver can be led outside its root. */
export function assertArtifactKey(key: string): void {
  if (!KEY.test(key) || key.split('/').some((part) => part === '.' || part === '..'))
    throw new RangeError(`invalid artifact key ${JSON.stringify(key)}`);
}
