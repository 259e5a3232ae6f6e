import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  assertArtifactKey,
  type ArtifactStore,
  type StagedArtifact,
  type StageLimits,
} from './artifact-store.port.js';
import { ArtifactTransferError } from './firmware.errors.js';

/**
 * The simulated ArtifactStore: bytes in memory, same contract as the filesystem driver (staged
 * until commit, size cap, ranges). For unit tests and small demos, not for real artifacts.
 */
export class MemoryArtifactStore implements ArtifactStore {
  readonly objects = new Map<string, Buffer>();
  /** Staged uploads not yet committed or discarded. */
  staged = 0;

  async stage(source: Readable, limits: StageLimits): Promise<StagedArtifact> {
    const chunks: Buffer[] = [];
    const hash = createHash('sha256');
    let size = 0;
    for await (const chunk of source as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > limits.maxBytes)
        throw new ArtifactTransferError(
          'ARTIFACT_TOO_LARGE',
          `the artifact is larger than ${limits.maxBytes} bytes`,
        );
      hash.update(chunk);
      chunks.push(chunk);
    }
    this.staged += 1;
    let open = true;
    const close = () => {
      if (open) this.staged -= 1;
      open = false;
    };
    return {
      sha256: hash.digest('hex'),
      size,
      commit: (key: string) => {
        assertArtifactKey(key);
        this.objects.set(key, Buffer.concat(chunks));
        close();
        return Promise.resolve();
      },
      discard: () => {
        close();
        return Promise.resolve();
      },
    };
  }

  size(key: string): Promise<number | undefined> {
    return Promise.resolve(this.objects.get(key)?.length);
  }

  read(key: string, range?: { start: number; end: number }): Promise<Readable> {
    const data = this.objects.get(key);
    if (!data) return Promise.reject(new Error(`no artifact ${key}`));
    return Promise.resolve(
      Readable.from([range ? data.subarray(range.start, range.end + 1) : data]),
    );
  }

  remove(key: string): Promise<void> {
    this.objects.delete(key);
    return Promise.resolve();
  }
}
