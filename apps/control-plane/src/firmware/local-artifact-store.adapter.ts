import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  assertArtifactKey,
  type ArtifactStore,
  type StagedArtifact,
  type StageLimits,
} from './artifact-store.port.js';
import { ArtifactTransferError } from './firmware.errors.js';

const STAGING = '.staging';
/** Staged files older than this are leftovers of a crashed process. */
const STALE_STAGING_MS = 24 * 3600_000;

/**
 * Artifacts as files under `<root>/<key>`. Uploads stream into `<root>/.staging/<uuid>.part`
 * (hashed chunk by chunk, never held in memory) and are renamed into place on commit.
 */
export class LocalArtifactStore implements ArtifactStore {
  constructor(private readonly root: string) {}

  /** Creates the directories and removes staging files a crashed process left behind. */
  async init(now = Date.now()): Promise<void> {
    const staging = join(this.root, STAGING);
    await mkdir(staging, { recursive: true, mode: 0o750 });
    for (const name of await readdir(staging)) {
      const file = join(staging, name);
      const info = await stat(file).catch(() => undefined);
      if (info && now - info.mtimeMs > STALE_STAGING_MS) await rm(file, { force: true });
    }
  }

  async stage(source: Readable, limits: StageLimits): Promise<StagedArtifact> {
    const staging = join(this.root, STAGING);
    await mkdir(staging, { recursive: true, mode: 0o750 });
    const file = join(staging, `${randomUUID()}.part`);
    const hash = createHash('sha256');
    let size = 0;
    let failure: ArtifactTransferError | undefined;
    const abort = new AbortController();
    const fail = (error: ArtifactTransferError) => {
      failure ??= error;
      abort.abort(error);
    };
    let idle: NodeJS.Timeout | undefined;
    const armIdle = () => {
      clearTimeout(idle);
      idle = setTimeout(() => {
        fail(
          new ArtifactTransferError(
            'UPLOAD_STALLED',
            `no data for ${limits.idleTimeoutMs} ms; the upload was abandoned`,
          ),
        );
      }, limits.idleTimeoutMs);
    };
    const total = setTimeout(() => {
      fail(
        new ArtifactTransferError(
          'UPLOAD_TIMEOUT',
          `the upload did not finish within ${limits.totalTimeoutMs} ms`,
        ),
      );
    }, limits.totalTimeoutMs);
    const meter = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        armIdle();
        size += chunk.length;
        if (size > limits.maxBytes) {
          fail(
            new ArtifactTransferError(
              'ARTIFACT_TOO_LARGE',
              `the artifact is larger than ${limits.maxBytes} bytes`,
              { maxBytes: limits.maxBytes },
            ),
          );
          done();
          return;
        }
        hash.update(chunk);
        done(null, chunk);
      },
    });
    armIdle();
    try {
      await pipeline(source, meter, createWriteStream(file, { mode: 0o640 }), {
        signal: abort.signal,
      });
    } catch (error) {
      await rm(file, { force: true });
      if (failure) throw failure;
      throw new ArtifactTransferError(
        'UPLOAD_ABORTED',
        `the upload ended early after ${size} bytes: ${(error as Error).message}`,
      );
    } finally {
      clearTimeout(idle);
      clearTimeout(total);
    }
    if (failure) {
      await rm(file, { force: true });
      throw failure;
    }
    const sha256 = hash.digest('hex');
    const root = this.root;
    return {
      sha256,
      size,
      async commit(key: string) {
        assertArtifactKey(key);
        const target = join(root, key);
        await mkdir(dirname(target), { recursive: true, mode: 0o750 });
        await rename(file, target);
      },
      async discard() {
        await rm(file, { force: true });
      },
    };
  }

  async size(key: string): Promise<number | undefined> {
    assertArtifactKey(key);
    const info = await stat(join(this.root, key)).catch(() => undefined);
    return info?.isFile() ? info.size : undefined;
  }

  async read(key: string, range?: { start: number; end: number }): Promise<Readable> {
    assertArtifactKey(key);
    const stream = createReadStream(join(this.root, key), {
      ...(range ? { start: range.start, end: range.end } : {}),
      highWaterMark: 256 * 1024,
    });
    // Surface "missing file" here rather than as a half-sent response.
    await new Promise<void>((resolve, reject) => {
      stream.once('open', () => {
        resolve();
      });
      stream.once('error', reject);
    });
    return stream;
  }

  async remove(key: string): Promise<void> {
    assertArtifactKey(key);
    await rm(join(this.root, key), { force: true });
  }
}
