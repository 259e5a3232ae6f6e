import { mkdir, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { ErrorDetail, OtaPhaseTimeouts, OtaReportedPhase } from '@fleet/contracts';
import { writeFileAtomic, type FirmwareManifest } from '@fleet/firmware';

/** Where a deployment stands on this gateway; `received` until its download starts. */
export const OTA_STAGES = [
  'received',
  'downloading',
  'downloaded',
  'installing',
  'rebooting',
  'verifying',
] as const;
export type OtaStage = (typeof OTA_STAGES)[number];

export type OtaOutcome = Extract<
  OtaReportedPhase,
  'succeeded' | 'failed' | 'rolled_back' | 'canceled'
>;

/** A bus that polled before the update: the trial must poll it too (and succeed where it did). */
export interface BusBaseline {
  readonly id: string;
  readonly requireSuccess: boolean;
}

/** The work a valid instruction asked for, and how far it got. */
export interface OtaJob {
  /** download: fetch and verify only (ahead of a maintenance window); install: all the way. */
  action: 'download' | 'install';
  /** Verified against the pinned keys when the instruction arrived. */
  manifest: FirmwareManifest;
  keyId: string;
  source: { url: string; token: string; expiresAt: number };
  timeouts: OtaPhaseTimeouts;
  /** The version that ran when the instruction arrived. */
  fromVersion: string;
  stage: OtaStage;
  stageStartedAt: number;
  /** Captured just before installing, in the old version. */
  baseline?: BusBaseline[];
  cancelRequested?: boolean;
  /** Why the trial gave itself up; the old version reports it after the rollback. */
  trialFailure?: ErrorDetail;
}

export interface OtaResult {
  phase: OtaOutcome;
  runningVersion: string;
  error?: ErrorDetail;
  at: number;
}

/** One deployment id seen by this gateway: refused (result only), in progress (job), or finished. */
export interface OtaRecord {
  deploymentId: string;
  correlationId?: string;
  receivedAt: number;
  updatedAt: number;
  job?: OtaJob;
  result?: OtaResult;
}

export interface OtaJournalState {
  records: OtaRecord[];
  /** `at` of the installer's last result already accounted for, so it is reported once. */
  handledInstallerResultAt?: string;
}

/** Finished records kept for deduplication; older ones are forgotten. */
export const KEPT_FINISHED_RECORDS = 200;

/**
 * `<stateDir>/ota/journal.json`: every deployment this gateway has seen, so a repeated instruction
 * is recognised after a restart and an interrupted one resumes. Written atomically on every change
 * (temp file, fsync, rename). A file that cannot be read is moved aside, never fatal: losing the
 * journal must not stop the agent from running.
 */
export class OtaJournalStore {
  readonly dir: string;
  readonly file: string;
  private writing: Promise<void> = Promise.resolve();

  constructor(stateDir: string) {
    this.dir = join(stateDir, 'ota');
    this.file = join(this.dir, 'journal.json');
  }

  /** The stored state; `corrupt` names where an unreadable file was moved. */
  async load(): Promise<{ state: OtaJournalState; corrupt?: string }> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { state: { records: [] } };
      throw error;
    }
    try {
      return { state: checkState(JSON.parse(text)) };
    } catch (error) {
      const aside = `${this.file}.corrupt-${Date.now()}`;
      await rename(this.file, aside);
      return { state: { records: [] }, corrupt: `${aside} (${(error as Error).message})` };
    }
  }

  /** Writes the state; writes are serialised, so the last call's state is what ends up on disk. */
  save(state: OtaJournalState): Promise<void> {
    const text = `${JSON.stringify(prune(state), null, 1)}\n`;
    const write = this.writing.then(() => writeFileAtomic(this.file, text, 0o600));
    this.writing = write.catch(() => undefined);
    return write;
  }
}

function prune(state: OtaJournalState): OtaJournalState & { v: 1 } {
  const finished = state.records
    .filter((r) => r.result)
    .sort((a, b) => b.updatedAt - a.updatedAt)
    .slice(0, KEPT_FINISHED_RECORDS);
  const keep = new Set([...state.records.filter((r) => !r.result), ...finished]);
  return {
    v: 1,
    records: state.records.filter((r) => keep.has(r)),
    ...(state.handledInstallerResultAt !== undefined
      ? { handledInstallerResultAt: state.handledInstallerResultAt }
      : {}),
  };
}

function checkState(input: unknown): OtaJournalState {
  if (typeof input !== 'object' || input === null) throw new Error('not a JSON object');
  const o = input as { v?: unknown; records?: unknown; handledInstallerResultAt?: unknown };
  if (o.v !== 1) throw new Error(`v must be 1, got ${JSON.stringify(o.v)}`);
  if (!Array.isArray(o.records)) throw new Error('records must be an array');
  const records = o.records as unknown[];
  for (const [i, r] of records.entries()) {
    const record = r as Partial<OtaRecord> | null;
    if (
      typeof record !== 'object' ||
      record === null ||
      typeof record.deploymentId !== 'string' ||
      typeof record.updatedAt !== 'number'
    )
      throw new Error(`records[${i}] must have a deploymentId and updatedAt`);
    if (record.job && !OTA_STAGES.includes(record.job.stage))
      throw new Error(`records[${i}].job.stage is not a known stage`);
  }
  const state: OtaJournalState = { records: records as OtaRecord[] };
  if (typeof o.handledInstallerResultAt === 'string')
    state.handledInstallerResultAt = o.handledInstallerResultAt;
  return state;
}
