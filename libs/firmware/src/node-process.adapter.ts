import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type {
  ProcessExit,
  ProcessSpawner,
  SpawnedProcess,
  SpawnOptions,
} from './process-spawner.port.js';

/** ProcessSpawner over node:child_process; stale-process detection reads Linux /proc. */
export class NodeProcessSpawner implements ProcessSpawner {
  spawn(command: string, args: readonly string[], options: SpawnOptions): SpawnedProcess {
    const child = spawn(command, [...args], {
      cwd: options.cwd,
      env: { ...options.env },
      stdio: options.stdio,
    });
    const exited = new Promise<ProcessExit>((resolve) => {
      child.once('error', (error) => {
        // 'error' without a pid means it never started; with a pid, 'exit' follows.
        if (child.pid === undefined) resolve({ code: null, signal: null, error: error.message });
      });
      child.once('exit', (code, signal) => {
        resolve({ code, signal });
      });
    });
    return {
      pid: child.pid,
      exited,
      kill: (signal) => {
        if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      },
    };
  }

  async killStale(pid: number, marker: string, timeoutMs: number): Promise<boolean> {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (!cmdline.split('\0').some((arg) => arg.includes(marker))) return false;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      return false;
    }
    const giveUpAt = Date.now() + timeoutMs;
    while (Date.now() < giveUpAt) {
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
      // Gone, or a zombie waiting for a parent that is no longer us.
      if (!stat || /^\d+ \(.*\) Z/.test(stat)) return true;
      await sleep(20);
    }
    return true;
  }
}
