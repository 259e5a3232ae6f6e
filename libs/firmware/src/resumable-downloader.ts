import { open, readFile, rename, rm, stat, truncate } from 'node:fs/promises';
import { dirname } from 'node:path';
import { setTimeout as sleepFor } from 'node:timers/promises';
import { assertDigestMatches, digestFile, type ArtifactDigest } from './artifact-digest.js';
import { fsyncDir, fsyncFile, writeFileAtomic } from './atomic-file.js';
import { FirmwareError, FirmwareErrorCode } from './firmware-error.js';
import type { HttpClient, HttpGetResponse } from './http-client.port.js';

/** Where to fetch from. Short-lived URLs and tokens come from a provider that can be asked to refresh. */
export interface DownloadSource {
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * Called before the first request with `refresh: false`, and with `refresh: true` when the server
 * answers 401/403 (expired URL or token). A 401/403 right after a refresh is final; once the refreshed
 * source has delivered bytes, a later expiry may refresh again.
 */
export type DownloadSourceProvider = (request: { refresh: boolean }) => Promise<DownloadSource>;

export interface DownloadProgress {
  /** Bytes in `<dest>.part` so far, counting what an earlier attempt or process left there. */
  readonly received: number;
  readonly total: number;
  readonly attempt: number;
}

export interface DownloadRequest {
  readonly source: string | DownloadSource | DownloadSourceProvider;
  /** Final path; data goes to `<dest>.part` (and validators to `<dest>.part.json`) until verified. */
  readonly dest: string;
  readonly expected: { readonly sha256: string; readonly size: number };
  readonly onProgress?: (progress: DownloadProgress) => void;
  readonly signal?: AbortSignal;
}

export interface DownloadResult extends ArtifactDigest {
  readonly path: string;
  /** Requests made (0 when `dest` already held the verified artifact). */
  readonly attempts: number;
  /** Byte offset the first request resumed from (a `.part` left by an earlier process). */
  readonly resumedFrom: number;
  /** Times the download started again from byte 0 (ETag changed, server ignored Range, bad data). */
  readonly restarts: number;
}

export interface ResumableDownloaderOptions {
  readonly http: HttpClient;
  /** Consecutive failed attempts that fetched no new bytes before giving up; default 6. */
  readonly maxAttempts?: number;
  /** Absolute cap on requests for one download; default 40. */
  readonly maxTotalAttempts?: number;
  /** Deadline for one request including its body; default 15 minutes. */
  readonly attemptTimeoutMs?: number;
  /** Abort an attempt that receives nothing (headers or bytes) for this long; default 30 s. */
  readonly stallTimeoutMs?: number;
  /** Backoff between failed attempts: doubling from initialMs up to maxMs, with jitter. */
  readonly backoff?: { readonly initialMs: number; readonly maxMs: number };
  /** For tests and simulations; defaults to Math.random. */
  readonly random?: () => number;
}

interface PartMeta {
  readonly sha256: string;
  readonly size: number;
  readonly etag?: string;
  readonly lastModified?: string;
}

/** What one attempt did to the part file, filled in as it goes. */
interface AttemptProgress {
  /** Offset the body was written from (0 after a 200), once a body started. */
  startedAt?: number;
  received: number;
}

type AttemptOutcome =
  | { readonly kind: 'done' }
  | { readonly kind: 'retry'; readonly reason: string; readonly retryAfterMs?: number }
  | { readonly kind: 'restart'; readonly reason: string }
  | { readonly kind: 'refresh'; readonly status: number };

class FinalDownloadError extends FirmwareError {}

/**
 * Downloads an artifact with resume: `Range` + `If-Range` after an interruption or a process restart,
 * from 0 when the representation changed, bounded retries with jittered backoff for network errors,
 * 5xx, 408 and 429, and no retry for other 4xx (a 404 stays a 404). Verifies size and SHA-256, then
 * renames into place atomically.
 */
export class ResumableDownloader {
  private readonly maxAttempts: number;
  private readonly maxTotalAttempts: number;
  private readonly attemptTimeoutMs: number;
  private readonly stallTimeoutMs: number;
  private readonly backoff: { initialMs: number; maxMs: number };
  private readonly random: () => number;

  constructor(private readonly options: ResumableDownloaderOptions) {
    this.maxAttempts = options.maxAttempts ?? 6;
    this.maxTotalAttempts = options.maxTotalAttempts ?? 40;
    this.attemptTimeoutMs = options.attemptTimeoutMs ?? 15 * 60_000;
    this.stallTimeoutMs = options.stallTimeoutMs ?? 30_000;
    this.backoff = { ...(options.backoff ?? { initialMs: 1000, maxMs: 60_000 }) };
    this.random = options.random ?? Math.random;
  }

  async download(request: DownloadRequest): Promise<DownloadResult> {
    const { dest, expected } = request;
    const part = `${dest}.part`;
    const metaPath = `${dest}.part.json`;

    const existing = await this.verifiedExisting(dest, expected);
    if (existing) return { ...existing, path: dest, attempts: 0, resumedFrom: 0, restarts: 0 };

    let meta = await this.loadMeta(metaPath, expected);
    let offset = meta ? await fileSize(part) : 0;
    if (!meta) {
      await rm(part, { force: true });
      meta = { sha256: expected.sha256, size: expected.size };
      await writeFileAtomic(metaPath, JSON.stringify(meta));
    }
    const resumedFrom = offset;

    const provide = toProvider(request.source);
    let source = await provide({ refresh: false });
    let refreshed = false;
    let attempts = 0;
    let failures = 0;
    let restarts = 0;
    let resumedSinceZero = offset > 0;
    let lastReason = '';

    for (;;) {
      request.signal?.throwIfAborted();
      if (offset > expected.size) offset = await this.restart(part);
      if (offset === expected.size) {
        const digest = await digestFile(part, { signal: request.signal });
        try {
          assertDigestMatches(digest, expected, 'downloaded artifact');
        } catch (error) {
          // Stitched from ranges of different representations? Fetch it whole once before failing.
          if (resumedSinceZero) {
            offset = await this.restart(part);
            meta = { sha256: expected.sha256, size: expected.size };
            await writeFileAtomic(metaPath, JSON.stringify(meta));
            restarts++;
            resumedSinceZero = false;
            continue;
          }
          await rm(part, { force: true });
          await rm(metaPath, { force: true });
          throw error;
        }
        await fsyncFile(part);
        await rename(part, dest);
        await rm(metaPath, { force: true });
        await fsyncDir(dirname(dest));
        return { ...digest, path: dest, attempts, resumedFrom, restarts };
      }

      if (attempts >= this.maxTotalAttempts)
        throw new FirmwareError(
          FirmwareErrorCode.DOWNLOAD_FAILED,
          `download gave up after ${attempts} requests: ${lastReason}`,
          { attempts },
        );
      attempts++;
      const before = offset;
      const progress: AttemptProgress = { received: 0 };
      let outcome: AttemptOutcome;
      try {
        outcome = await this.attempt({
          source,
          part,
          metaPath,
          meta,
          offset,
          expected,
          attempt: attempts,
          request,
          progress,
          onMeta: (m) => {
            meta = m;
          },
        });
      } catch (error) {
        if (error instanceof FinalDownloadError) {
          if (error.code === FirmwareErrorCode.SIZE_MISMATCH) {
            await rm(part, { force: true });
            await rm(metaPath, { force: true });
          }
          throw error;
        }
        if (request.signal?.aborted)
          throw new FirmwareError(
            FirmwareErrorCode.DOWNLOAD_ABORTED,
            'download aborted',
            { received: await fileSize(part) },
            { cause: error },
          );
        outcome = { kind: 'retry', reason: describe(error) };
      }
      offset = await fileSize(part);
      if (progress.startedAt === 0) {
        if (before > 0) restarts++;
        resumedSinceZero = false;
      } else if (progress.startedAt !== undefined) {
        resumedSinceZero = true;
      }
      // Credentials that fetched bytes worked; a later 401/403 (expiry mid-download) may refresh again.
      if (progress.received > 0) refreshed = false;

      switch (outcome.kind) {
        case 'done':
          failures = 0;
          continue;
        case 'restart':
          lastReason = outcome.reason;
          offset = await this.restart(part);
          restarts++;
          resumedSinceZero = false;
          failures++;
          break;
        case 'refresh':
          if (refreshed)
            throw new FinalDownloadError(
              FirmwareErrorCode.DOWNLOAD_REJECTED,
              `download refused with HTTP ${outcome.status} even after refreshing the URL/credentials`,
              { status: outcome.status },
            );
          refreshed = true;
          source = await provide({ refresh: true });
          continue;
        case 'retry':
          lastReason = outcome.reason;
          failures = progress.received > 0 ? 1 : failures + 1;
          break;
      }
      if (failures >= this.maxAttempts)
        throw new FirmwareError(
          FirmwareErrorCode.DOWNLOAD_FAILED,
          `download failed ${failures} times in a row without progress: ${lastReason}`,
          { attempts, received: offset },
        );
      const delay =
        outcome.kind === 'retry' && outcome.retryAfterMs !== undefined
          ? Math.min(outcome.retryAfterMs, this.backoff.maxMs)
          : this.delayFor(failures);
      await sleepFor(delay, undefined, { signal: request.signal }).catch((error: unknown) => {
        throw new FirmwareError(
          FirmwareErrorCode.DOWNLOAD_ABORTED,
          'download aborted',
          { received: offset },
          { cause: error },
        );
      });
    }
  }

  /** Exponential backoff with "equal jitter": half fixed, half random, so retries spread out. */
  private delayFor(failures: number): number {
    const cap = Math.min(
      this.backoff.maxMs,
      this.backoff.initialMs * 2 ** Math.max(0, failures - 1),
    );
    return Math.round(cap / 2 + (this.random() * cap) / 2);
  }

  private async attempt(ctx: {
    source: DownloadSource;
    part: string;
    metaPath: string;
    meta: PartMeta;
    offset: number;
    expected: { sha256: string; size: number };
    attempt: number;
    request: DownloadRequest;
    progress: AttemptProgress;
    onMeta: (meta: PartMeta) => void;
  }): Promise<AttemptOutcome> {
    const { source, part, meta, expected, request } = ctx;
    let offset = ctx.offset;
    const controller = new AbortController();
    const signals = [controller.signal];
    if (request.signal) signals.push(request.signal);
    const signal = AbortSignal.any(signals);
    const deadline = setTimeout(() => {
      controller.abort(new Error(`attempt exceeded its ${this.attemptTimeoutMs} ms deadline`));
    }, this.attemptTimeoutMs);
    let stall: NodeJS.Timeout | undefined;
    const touch = (): void => {
      clearTimeout(stall);
      stall = setTimeout(() => {
        controller.abort(new Error(`no data for ${this.stallTimeoutMs} ms`));
      }, this.stallTimeoutMs);
    };
    touch();
    let response: HttpGetResponse | undefined;
    try {
      const headers: Record<string, string> = { ...(source.headers ?? {}) };
      if (offset > 0) {
        headers.Range = `bytes=${offset}-`;
        const validator = ifRangeValidator(meta);
        if (validator) headers['If-Range'] = validator;
      }
      response = await this.options.http.get({ url: source.url, headers, signal });
      touch();
      const status = response.status;
      const etag = response.header('etag');
      const lastModified = response.header('last-modified');

      if (status === 200) {
        const length = numberHeader(response.header('content-length'));
        if (length !== undefined && length !== expected.size)
          throw this.sizeRefused(length, expected.size);
        // A full body: either a first request, or the representation changed (If-Range failed).
        offset = 0;
        const fresh: PartMeta = {
          sha256: expected.sha256,
          size: expected.size,
          etag,
          lastModified,
        };
        await writeFileAtomic(ctx.metaPath, JSON.stringify(fresh));
        ctx.onMeta(fresh);
      } else if (status === 206) {
        const range = parseContentRange(response.header('content-range'));
        if (range?.total !== undefined && range.total !== expected.size)
          throw this.sizeRefused(range.total, expected.size);
        if (!range || range.start !== offset) {
          response.body.destroy();
          return {
            kind: 'restart',
            reason: `server sent a range starting at ${range?.start ?? '?'} for offset ${offset}`,
          };
        }
        if (meta.etag && etag && etag !== meta.etag) {
          response.body.destroy();
          return { kind: 'restart', reason: 'ETag changed but the server sent a partial body' };
        }
        if ((!meta.etag && etag) || (!meta.lastModified && lastModified)) {
          const learned: PartMeta = {
            ...meta,
            ...(etag ? { etag } : {}),
            ...(lastModified ? { lastModified } : {}),
          };
          await writeFileAtomic(ctx.metaPath, JSON.stringify(learned));
          ctx.onMeta(learned);
        }
      } else {
        response.body.destroy();
        return this.classify(status, response.header('retry-after'));
      }

      ctx.progress.startedAt = offset;
      const limit = expected.size;
      // Chunk by chunk with awaited writes: whatever arrived before a cut is on disk to resume from.
      const file = await open(part, offset === 0 ? 'w' : 'a');
      try {
        for await (const chunk of response.body as AsyncIterable<Buffer>) {
          touch();
          if (offset + chunk.length > limit)
            throw this.sizeRefused(offset + chunk.length, limit, 'server sent more than');
          await file.write(chunk);
          offset += chunk.length;
          ctx.progress.received += chunk.length;
          request.onProgress?.({ received: offset, total: limit, attempt: ctx.attempt });
        }
      } finally {
        await file.close();
      }
      if (offset < limit)
        return { kind: 'retry', reason: `body ended at ${offset} of ${limit} bytes` };
      return { kind: 'done' };
    } catch (error) {
      response?.body.destroy();
      if (error instanceof FinalDownloadError) throw error;
      if (controller.signal.aborted && !request.signal?.aborted)
        return { kind: 'retry', reason: describe(controller.signal.reason) };
      throw error;
    } finally {
      clearTimeout(deadline);
      clearTimeout(stall);
    }
  }

  private classify(status: number, retryAfter: string | undefined): AttemptOutcome {
    if (status === 401 || status === 403) return { kind: 'refresh', status };
    if (status === 416) return { kind: 'restart', reason: 'range not satisfiable' };
    if (status === 408 || status === 429 || (status >= 500 && status <= 599)) {
      const retryAfterMs = parseRetryAfter(retryAfter);
      return {
        kind: 'retry',
        reason: `HTTP ${status}`,
        ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
      };
    }
    // Any other answer (404, 410, 400, an unfollowed redirect) will not change by asking again.
    throw new FinalDownloadError(
      FirmwareErrorCode.DOWNLOAD_REJECTED,
      `download refused with HTTP ${status}; not retrying`,
      { status },
    );
  }

  private sizeRefused(actual: number, expected: number, what = 'server reports'): FirmwareError {
    return new FinalDownloadError(
      FirmwareErrorCode.SIZE_MISMATCH,
      `${what} ${actual} bytes, the manifest says ${expected}`,
      { expected, actual },
    );
  }

  private async restart(part: string): Promise<number> {
    await truncate(part, 0).catch((error: unknown) => {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    });
    return 0;
  }

  private async verifiedExisting(
    dest: string,
    expected: { sha256: string; size: number },
  ): Promise<ArtifactDigest | undefined> {
    if ((await fileSize(dest)) !== expected.size) return undefined;
    const digest = await digestFile(dest);
    return digest.sha256 === expected.sha256 ? digest : undefined;
  }

  /** The sidecar from an earlier attempt, if it belongs to the same artifact. */
  private async loadMeta(
    path: string,
    expected: { sha256: string; size: number },
  ): Promise<PartMeta | undefined> {
    let raw: string;
    try {
      raw = await readFile(path, 'utf8');
    } catch {
      return undefined;
    }
    try {
      const meta = JSON.parse(raw) as Partial<PartMeta>;
      if (meta.sha256 !== expected.sha256 || meta.size !== expected.size) return undefined;
      return {
        sha256: meta.sha256,
        size: meta.size,
        ...(typeof meta.etag === 'string' ? { etag: meta.etag } : {}),
        ...(typeof meta.lastModified === 'string' ? { lastModified: meta.lastModified } : {}),
      };
    } catch {
      return undefined;
    }
  }
}

function toProvider(source: DownloadRequest['source']): DownloadSourceProvider {
  if (typeof source === 'function') return source;
  const fixed: DownloadSource = typeof source === 'string' ? { url: source } : source;
  return () => Promise.resolve(fixed);
}

/** If-Range needs a strong validator: a strong ETag, else Last-Modified. */
function ifRangeValidator(meta: PartMeta): string | undefined {
  if (meta.etag && !meta.etag.startsWith('W/')) return meta.etag;
  return meta.lastModified;
}

function parseContentRange(
  value: string | undefined,
): { start: number; end: number; total?: number } | undefined {
  const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(value?.trim() ?? '');
  if (!m) return undefined;
  const total = m[3] === '*' ? undefined : Number(m[3]);
  return { start: Number(m[1]), end: Number(m[2]), ...(total !== undefined ? { total } : {}) };
}

function parseRetryAfter(value: string | undefined): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

function numberHeader(value: string | undefined): number | undefined {
  return value !== undefined && /^\d+$/.test(value.trim()) ? Number(value.trim()) : undefined;
}

async function fileSize(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code ? `${error.message} (${code})` : error.message;
  }
  return String(error);
}
