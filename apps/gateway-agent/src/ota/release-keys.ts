import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { FirmwareError, trustedKey, type TrustedKey } from '@fleet/firmware';
import { OtaError } from './ota.error.js';

const PEM_BLOCK = /-----BEGIN PUBLIC KEY-----[\s\S]*?-----END PUBLIC KEY-----/g;
const KEY_FILE = /\.(pem|pub)$/;
const MAX_KEY_FILE_BYTES = 256 * 1024;

/**
 * The release keys pinned on this gateway: every PEM public key in `path` (one file holding one or
 * more PEM blocks, or a directory of `*.pem` / `*.pub` files), each marked revoked when its id is in
 * `revokedKeyIds`. Throws RELEASE_KEYS_INVALID naming the file and the reason; an empty set is an
 * error too, since it would silently refuse every release.
 */
export async function loadReleaseKeys(
  path: string,
  revokedKeyIds: readonly string[] = [],
): Promise<TrustedKey[]> {
  let files: string[];
  try {
    const info = await stat(path);
    files = info.isDirectory()
      ? (await readdir(path))
          .filter((name) => KEY_FILE.test(name))
          .sort()
          .map((name) => join(path, name))
      : [path];
  } catch (error) {
    throw new OtaError(
      'RELEASE_KEYS_INVALID',
      `release keys ${path}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (error as Error).message}`,
    );
  }
  const revoked = new Set(revokedKeyIds);
  const keys = new Map<string, TrustedKey>();
  for (const file of files) {
    const info = await stat(file);
    if (!info.isFile()) continue;
    if (info.size > MAX_KEY_FILE_BYTES)
      throw new OtaError('RELEASE_KEYS_INVALID', `release keys ${file}: larger than 256 KiB`);
    const text = await readFile(file, 'utf8');
    const blocks = text.match(PEM_BLOCK) ?? [];
    if (blocks.length === 0)
      throw new OtaError(
        'RELEASE_KEYS_INVALID',
        `release keys ${file}: no "BEGIN PUBLIC KEY" PEM block (private keys never belong on a gateway)`,
      );
    for (const [index, pem] of blocks.entries()) {
      let key: TrustedKey;
      try {
        key = trustedKey(`${pem}\n`);
      } catch (error) {
        const reason = error instanceof FirmwareError ? error.message : String(error);
        throw new OtaError(
          'RELEASE_KEYS_INVALID',
          `release keys ${file}: key ${index + 1}: ${reason}`,
        );
      }
      keys.set(key.keyId, { ...key, revoked: revoked.has(key.keyId) });
    }
  }
  if (keys.size === 0)
    throw new OtaError(
      'RELEASE_KEYS_INVALID',
      `release keys ${path}: no *.pem or *.pub files in this directory`,
    );
  return [...keys.values()];
}
