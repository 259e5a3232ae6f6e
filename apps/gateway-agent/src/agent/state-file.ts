import { randomBytes } from 'node:crypto';
import { open, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { writeFileAtomic } from '@fleet/firmware';

export interface WriteJsonOptions {
  /** File mode (default 0644). */
  mode?: number;
  /**
   * fsync the file and its directory (default true). Off for files rewritten every few seconds
   * (status.json), where a lost write costs nothing and SD-card wear does.
   */
  durable?: boolean;
}

/** Replaces `path` with the JSON of `value`: readers see the old file or the new one, never a mix. */
export async function writeJsonFile(
  path: string,
  value: unknown,
  options: WriteJsonOptions = {},
): Promise<void> {
  const text = `${JSON.stringify(value, null, 2)}\n`;
  const mode = options.mode ?? 0o644;
  if (options.durable ?? true) {
    await writeFileAtomic(path, text, mode);
    return;
  }
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    const handle = await open(tmp, 'wx', mode);
    try {
      await handle.writeFile(text);
    } finally {
      await handle.close();
    }
    await rename(tmp, path);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
}

/** The parsed JSON in `path`, or undefined when the file does not exist. Bad JSON throws. */
export async function readJsonFile(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  return JSON.parse(text) as unknown;
}
