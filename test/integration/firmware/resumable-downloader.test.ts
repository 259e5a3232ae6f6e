import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  FirmwareError,
  FirmwareErrorCode,
  NodeHttpClient,
  ResumableDownloader,
  type DownloadProgress,
  type ResumableDownloaderOptions,
} from '@fleet/firmware';
import { ensureFirmwareBuilt, firmwareDistUrl } from '../../support/firmware/firmware-build.js';
import { RangeServer } from '../../support/firmware/range-server.js';

const SIZE = 3 * 1024 * 1024 + 123;
const content = randomBytes(SIZE);
const expected = { sha256: createHash('sha256').update(content).digest('hex'), size: SIZE };

let server: RangeServer;
const children: ChildProcess[] = [];
let dir: string;
let dest: string;

function downloader(options: Partial<ResumableDownloaderOptions> = {}): ResumableDownloader {
  return new ResumableDownloader({
    http: new NodeHttpClient(),
    backoff: { initialMs: 10, maxMs: 40 },
    stallTimeoutMs: 2000,
    attemptTimeoutMs: 20_000,
    ...options,
  });
}

async function failure(promise: Promise<unknown>): Promise<FirmwareError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof FirmwareError) return error;
    throw error;
  }
  throw new Error('expected the download to fail');
}

beforeEach(async () => {
  server = new RangeServer(content);
  await server.start();
  dir = await mkdtemp(join(tmpdir(), 'fw-dl-'));
  dest = join(dir, 'release.tar.gz');
});

afterEach(async () => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
  await server.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('ResumableDownloader against a real HTTP server', () => {
  it('downloads, verifies and renames into place, leaving no partial files', async () => {
    const progress: DownloadProgress[] = [];
    const result = await downloader().download({
      source: server.url,
      dest,
      expected,
      onProgress: (p) => progress.push(p),
    });
    expect(result).toMatchObject({
      path: dest,
      ...expected,
      attempts: 1,
      resumedFrom: 0,
      restarts: 0,
    });
    expect((await readFile(dest)).equals(content)).toBe(true);
    expect(await readdir(dir)).toEqual(['release.tar.gz']);
    expect(progress.at(-1)).toEqual({ received: SIZE, total: SIZE, attempt: 1 });
  });

  it('resumes from the right offset with Range + If-Range after the connection is cut mid-stream', async () => {
    server.cutAfter(1_000_000, 700_000);
    const progress: DownloadProgress[] = [];
    const result = await downloader().download({
      source: server.url,
      dest,
      expected,
      onProgress: (p) => progress.push(p),
    });
    expect(result.attempts).toBe(3);
    expect(result.sha256).toBe(expected.sha256);
    expect((await readFile(dest)).equals(content)).toBe(true);

    const lastOf = (attempt: number): number =>
      Math.max(...progress.filter((p) => p.attempt === attempt).map((p) => p.received));
    const [first, second, third] = server.requests;
    expect(first?.range).toBeUndefined();
    expect(second).toMatchObject({
      range: `bytes=${lastOf(1)}-`,
      ifRange: server.currentEtag,
      status: 206,
    });
    expect(third).toMatchObject({
      range: `bytes=${lastOf(2)}-`,
      ifRange: server.currentEtag,
      status: 206,
    });
    expect(lastOf(1)).toBeGreaterThan(0);
    expect(lastOf(1)).toBeLessThanOrEqual(1_000_000);
    // Resumed, not restarted: the server sent each byte about once.
    expect(server.totalBytesSent).toBeLessThan(SIZE + 1_700_000);
  });

  it('resumes what an earlier process left in <dest>.part', async () => {
    server.cutAfter(1_500_000);
    const aborter = new AbortController();
    const first = downloader({ maxAttempts: 1 }).download({
      source: server.url,
      dest,
      expected,
      signal: aborter.signal,
      onProgress: (p) => {
        if (p.received >= 1_000_000) aborter.abort();
      },
    });
    expect((await failure(first)).code).toBe(FirmwareErrorCode.DOWNLOAD_ABORTED);
    const leftOver = (await stat(`${dest}.part`)).size;
    expect(leftOver).toBeGreaterThan(0);

    const result = await downloader().download({ source: server.url, dest, expected });
    expect(result).toMatchObject({ resumedFrom: leftOver, attempts: 1, restarts: 0 });
    expect(server.requests.at(-1)).toMatchObject({ range: `bytes=${leftOver}-`, status: 206 });
    expect((await readFile(dest)).equals(content)).toBe(true);
  });

  it('starts again from 0 when the ETag changed between attempts (200 instead of 206)', async () => {
    server.cutAfter(800_000);
    const oldEtag = server.currentEtag;
    const progress: DownloadProgress[] = [];
    const result = await downloader().download({
      source: server.url,
      dest,
      expected,
      onProgress: (p) => {
        progress.push(p);
        if (p.attempt === 1 && server.currentEtag === oldEtag) server.changeEtag();
      },
    });
    const second = server.requests[1];
    expect(second?.ifRange).toBe(oldEtag);
    expect(second?.range).toMatch(/^bytes=\d+-$/);
    expect(second?.status).toBe(200);
    expect(result.restarts).toBe(1);
    expect((await readFile(dest)).equals(content)).toBe(true);
  });

  it('discards a .part that belongs to another artifact', async () => {
    server.cutAfter(500_000);
    const other = { sha256: 'f'.repeat(64), size: SIZE };
    await failure(
      downloader({ maxAttempts: 1 }).download({ source: server.url, dest, expected: other }),
    );
    expect((await stat(`${dest}.part`)).size).toBeGreaterThan(0);
    const result = await downloader().download({ source: server.url, dest, expected });
    expect(result.resumedFrom).toBe(0);
    expect(server.requests.at(-1)?.range).toBeUndefined();
    expect((await readFile(dest)).equals(content)).toBe(true);
  });

  it('treats 404 as final: one request, no retries', async () => {
    server.respondWith(404, 10);
    const error = await failure(downloader().download({ source: server.url, dest, expected }));
    expect(error.code).toBe(FirmwareErrorCode.DOWNLOAD_REJECTED);
    expect(error.details.status).toBe(404);
    expect(error.message).toMatch(/HTTP 404; not retrying/);
    expect(server.requests).toHaveLength(1);
  });

  it('retries 503 and 429 with backoff, then succeeds', async () => {
    server.respondWith(503, 2);
    server.respondWith(429, 1, { 'Retry-After': '0' });
    const result = await downloader().download({ source: server.url, dest, expected });
    expect(server.requests.map((r) => r.status)).toEqual([503, 503, 429, 200]);
    expect(result.attempts).toBe(4);
    expect((await readFile(dest)).equals(content)).toBe(true);
  });

  it('gives up after a bounded number of failures without progress', async () => {
    server.respondWith(503, 100);
    const error = await failure(
      downloader({ maxAttempts: 4 }).download({ source: server.url, dest, expected }),
    );
    expect(error.code).toBe(FirmwareErrorCode.DOWNLOAD_FAILED);
    expect(error.message).toMatch(/4 times in a row without progress: HTTP 503/);
    expect(server.requests).toHaveLength(4);
  });

  it('aborts a stalled transfer after the stall timeout and resumes', async () => {
    server.stallAfter(600_000);
    const result = await downloader({ stallTimeoutMs: 300 }).download({
      source: server.url,
      dest,
      expected,
    });
    expect(result.attempts).toBe(2);
    expect(server.requests[1]?.range).toMatch(/^bytes=\d+-$/);
    expect((await readFile(dest)).equals(content)).toBe(true);
  });

  it('refreshes short-lived credentials once on 401/403, and stops if still refused', async () => {
    server.validTokens = new Set(['fresh']);
    const asked: boolean[] = [];
    const result = await downloader().download({
      source: ({ refresh }) => {
        asked.push(refresh);
        return Promise.resolve({
          url: server.url,
          headers: { Authorization: `Bearer ${refresh ? 'fresh' : 'expired'}` },
        });
      },
      dest,
      expected,
    });
    expect(asked).toEqual([false, true]);
    expect(server.requests.map((r) => r.status)).toEqual([401, 200]);
    expect(result.sha256).toBe(expected.sha256);

    await rm(dest);
    server.requests.length = 0;
    server.validTokens = new Set(['nobody-has-this']);
    const error = await failure(
      downloader().download({
        source: () => Promise.resolve({ url: server.url, headers: { Authorization: 'Bearer x' } }),
        dest,
        expected,
      }),
    );
    expect(error.code).toBe(FirmwareErrorCode.DOWNLOAD_REJECTED);
    expect(server.requests).toHaveLength(2);
  });

  it('refreshes again when credentials expire later in a long download', async () => {
    server.validTokens = new Set(['t0']);
    server.cutAfter(600_000, 600_000);
    let calls = 0;
    const asked: boolean[] = [];
    const result = await downloader().download({
      source: ({ refresh }) => {
        asked.push(refresh);
        return Promise.resolve({
          url: server.url,
          headers: { Authorization: `Bearer t${calls++}` },
        });
      },
      dest,
      expected,
      onProgress: (p) => {
        // Each token expires once it has carried part of the download.
        if (p.received > 300_000 && p.attempt === 1) server.validTokens = new Set(['t1']);
        if (p.received > 900_000 && p.attempt === 3) server.validTokens = new Set(['t2']);
      },
    });
    expect(asked).toEqual([false, true, true]);
    expect(server.requests.map((r) => r.status)).toEqual([200, 401, 206, 401, 206]);
    expect(result.sha256).toBe(expected.sha256);
  });

  it('resumes after the downloading process was killed with SIGKILL', async () => {
    ensureFirmwareBuilt();
    const script = join(dir, 'download.mjs');
    await writeFile(
      script,
      `const { NodeHttpClient, ResumableDownloader } = await import(process.env.FIRMWARE_LIB_URL);
const [url, dest, sha256, size] = process.argv.slice(2);
await new ResumableDownloader({ http: new NodeHttpClient() }).download({
  source: url, dest, expected: { sha256, size: Number(size) },
  onProgress: (p) => { if (p.received >= 1_200_000) process.kill(process.pid, 'SIGKILL'); },
});
console.log('finished');
`,
    );
    // Async spawn: the server lives in this process and must keep serving meanwhile.
    const child = spawn(
      process.execPath,
      [script, server.url, dest, expected.sha256, String(expected.size)],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, FIRMWARE_LIB_URL: firmwareDistUrl },
      },
    );
    children.push(child);
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const [, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
    expect(signal, output).toBe('SIGKILL');
    const leftOver = (await stat(`${dest}.part`)).size;
    expect(leftOver).toBeGreaterThanOrEqual(1_200_000);

    const result = await downloader().download({ source: server.url, dest, expected });
    expect(result).toMatchObject({ resumedFrom: leftOver, attempts: 1 });
    expect(server.requests.at(-1)).toMatchObject({
      range: `bytes=${leftOver}-`,
      ifRange: server.currentEtag,
      status: 206,
    });
    expect((await readFile(dest)).equals(content)).toBe(true);
  });

  it('refuses an artifact of the wrong size before storing it, and one with the wrong hash after', async () => {
    const longer = await failure(
      downloader().download({
        source: server.url,
        dest,
        expected: { ...expected, size: SIZE - 1 },
      }),
    );
    expect(longer.code).toBe(FirmwareErrorCode.SIZE_MISMATCH);
    expect(await readdir(dir)).toEqual([]);

    const wrongHash = await failure(
      downloader().download({
        source: server.url,
        dest,
        expected: { ...expected, sha256: '0'.repeat(64) },
      }),
    );
    expect(wrongHash.code).toBe(FirmwareErrorCode.HASH_MISMATCH);
    expect(await readdir(dir)).toEqual([]);
  });

  it('fetches the whole artifact once more when a resumed file fails the hash', async () => {
    server.cutAfter(900_000);
    await failure(downloader({ maxAttempts: 1 }).download({ source: server.url, dest, expected }));
    // The kept prefix is damaged (as when ranges of two representations get stitched together).
    const partPath = `${dest}.part`;
    const head = await readFile(partPath);
    head[10] = (head[10] ?? 0) ^ 0xff;
    await writeFile(partPath, head);
    const result = await downloader().download({ source: server.url, dest, expected });
    expect(result.restarts).toBe(1);
    expect(server.requests.at(-1)?.range).toBeUndefined();
    expect((await readFile(dest)).equals(content)).toBe(true);
  });

  it('uses the verified file already at dest without a request', async () => {
    await downloader().download({ source: server.url, dest, expected });
    const again = await downloader().download({ source: server.url, dest, expected });
    expect(again.attempts).toBe(0);
    expect(server.requests).toHaveLength(1);
  });
});
