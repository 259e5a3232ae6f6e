import { open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { AgentError } from './agent.error.js';

export const RUN_LOCK_FILE = 'run.lock';

interface LockRecord {
  pid: number;
  /** Start time of the process (from /proc/<pid>/stat), so a recycled pid is not mistaken for us. */
  startTicks?: string;
}

async function startTicks(pid: number): Promise<string | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // Field 22 (starttime), counted after the parenthesised command name, which may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19];
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readRecord(path: string): Promise<LockRecord | undefined> {
  try {
    const parsed = JSON.parse(await readFile(path, 'utf8')) as Partial<LockRecord>;
    if (!Number.isSafeInteger(parsed.pid) || (parsed.pid ?? 0) <= 0) return undefined;
    const record: LockRecord = { pid: parsed.pid as number };
    if (typeof parsed.startTicks === 'string') record.startTicks = parsed.startTicks;
    return record;
  } catch {
    return undefined;
  }
}

/** The pid holding the lock in `stateDir`, if that process still runs. */
export async function runningAgentPid(stateDir: string): Promise<number | undefined> {
  const record = await readRecord(join(stateDir, RUN_LOCK_FILE));
  if (!record || !alive(record.pid)) return undefined;
  if (record.startTicks !== undefined) {
    const now = await startTicks(record.pid);
    if (now !== undefined && now !== record.startTicks) return undefined;
  }
  return record.pid;
}

/**
 * One agent per state directory: two would interleave writes to the same outbox. The lock file
 * names the pid and its start time; a lock left by a dead (or recycled) pid is taken over.
 */
export class RunLock {
  private constructor(private readonly path: string) {}

  static async acquire(stateDir: string): Promise<RunLock> {
    const path = join(stateDir, RUN_LOCK_FILE);
    const record: LockRecord = { pid: process.pid };
    const ticks = await startTicks(process.pid);
    if (ticks !== undefined) record.startTicks = ticks;
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const handle = await open(path, 'wx', 0o644);
        try {
          await handle.writeFile(JSON.stringify(record));
        } finally {
          await handle.close();
        }
        return new RunLock(path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
          throw new AgentError(
            'STATE_DIR_UNUSABLE',
            `cannot create ${path}: ${(error as Error).message}`,
          );
        }
        const holder = await runningAgentPid(stateDir);
        if (holder !== undefined && holder !== process.pid) {
          throw new AgentError(
            'ALREADY_RUNNING',
            `another agent (pid ${holder}) is running with the state directory ${stateDir}`,
          );
        }
        await rm(path, { force: true });
      }
    }
    throw new AgentError('ALREADY_RUNNING', `could not take the lock ${path}`);
  }

  async release(): Promise<void> {
    await rm(this.path, { force: true });
  }
}
