import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { FirmwareError, FirmwareErrorCode } from './firmware-error.js';
import type { FirmwareManifest } from './firmware-manifest.dto.js';

export interface ArtifactDigest {
  /** Lowercase hex. */
  readonly sha256: string;
  readonly size: number;
}

export interface DigestOptions {
  /** Whole-operation deadline; default 10 minutes (an SD card reads a few hundred MB in that time). */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

const DEFAULT_TIMEOUT_MS = 10 * 60_000;

/** SHA-256 and size of a stream, chunk by chunk: the artifact is never held whole in memory. */
export async function digestStream(
  source: Readable | AsyncIterable<Uint8Array>,
  options: DigestOptions = {},
): Promise<ArtifactDigest> {
  const hash = createHash('sha256');
  let size = 0;
  const sink = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      size += chunk.length;
      done();
    },
  });
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const signals = [AbortSignal.timeout(timeoutMs)];
  if (options.signal) signals.push(options.signal);
  try {
    await pipeline(source, sink, { signal: AbortSignal.any(signals) });
  } catch (error) {
    if (signals[0]?.aborted)
      throw new FirmwareError(
        FirmwareErrorCode.IO_TIMEOUT,
        `hashing did not finish within ${timeoutMs} ms`,
        {},
        { cause: error },
      );
    throw error;
  }
  return { sha256: hash.digest('hex'), size };
}

/** SHA-256 and size of a file, streamed. */
export function digestFile(path: string, options: DigestOptions = {}): Promise<ArtifactDigest> {
  return digestStream(createReadStream(path), options);
}

/** Throws SIZE_MISMATCH or HASH_MISMATCH unless the digest is the one the manifest promises. */
export function assertDigestMatches(
  digest: ArtifactDigest,
  manifest: Pick<FirmwareManifest, 'sha256' | 'size'>,
  what = 'artifact',
): void {
  if (digest.size !== manifest.size)
    throw new FirmwareError(
      FirmwareErrorCode.SIZE_MISMATCH,
      `${what} is ${digest.size} bytes, the manifest says ${manifest.size}`,
      { expected: manifest.size, actual: digest.size },
    );
  if (digest.sha256 !== manifest.sha256)
    throw new FirmwareError(
      FirmwareErrorCode.HASH_MISMATCH,
      `${what} SHA-256 is ${digest.sha256}, the manifest says ${manifest.sha256}`,
      { expected: manifest.sha256, actual: digest.sha256 },
    );
}

/** Streams the file and checks it against the manifest's size and SHA-256. */
export async function verifyArtifactFile(
  path: string,
  manifest: Pick<FirmwareManifest, 'sha256' | 'size'>,
  options: DigestOptions = {},
): Promise<ArtifactDigest> {
  const digest = await digestFile(path, options);
  assertDigestMatches(digest, manifest);
  return digest;
}
