import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/**
 * The HMAC secret of download URLs: FIRMWARE_URL_SECRET when set, else a random secret created once
 * in `<dataDir>/secrets/firmware-url.key` (0600), so URLs survive restarts. Replicas either share the
 * data directory (they do for the local artifact store) or set FIRMWARE_URL_SECRET.
 */
export async function loadUrlSecret(
  configured: string | undefined,
  dataDir: string,
): Promise<Buffer> {
  if (configured) return Buffer.from(configured, 'utf8');
  const file = join(dataDir, 'secrets', 'firmware-url.key');
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  try {
    const handle = await open(file, 'wx', 0o600);
    try {
      await handle.writeFile(randomBytes(32).toString('base64url'));
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const text = (await readFile(file, 'utf8')).trim();
  if (text.length < 32)
    throw new Error(`${file} holds no usable secret; delete it to get a new one`);
  return Buffer.from(text, 'utf8');
}
