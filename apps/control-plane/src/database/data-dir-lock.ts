import { mkdir, open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ConflictError } from '@fleet/common';

const LOCK_FILE = 'control-plane.pid';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function holder(dataDir: string): Promise<number | undefined> {
  try {
    const pid = Number((await readFile(join(dataDir, LOCK_FILE), 'utf8')).trim());
    return Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The embedded database (PGlite) is one process's files: a second process opening them would
 * corrupt them. The server takes this lock; maintenance commands refuse while it is held.
 */
export async function lockDataDir(dataDir: string): Promise<{ release(): Promise<void> }> {
  await assertDataDirFree(dataDir);
  await mkdir(dataDir, { recursive: true });
  const file = join(dataDir, LOCK_FILE);
  const handle = await open(file, 'w', 0o644);
  await handle.writeFile(String(process.pid));
  await handle.close();
  return {
    async release() {
      await rm(file, { force: true });
    },
  };
}

export async function assertDataDirFree(dataDir: string): Promise<void> {
  const pid = await holder(dataDir);
  if (pid !== undefined) {
    throw new ConflictError(
      'DATA_DIR_IN_USE',
      `the control plane (pid ${pid}) is running on ${dataDir} with the embedded database; ` +
        'stop it first, or use its first-start token, or point DATABASE_URL at Postgres',
    );
  }
}
