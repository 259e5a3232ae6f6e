export interface ProcessExit {
  readonly code: number | null;
  readonly signal: string | null;
  /** Set when the process could not be started at all (e.g. ENOENT). */
  readonly error?: string;
}

export interface SpawnedProcess {
  readonly pid: number | undefined;
  /** Resolves once, when the process has exited (never rejects). */
  readonly exited: Promise<ProcessExit>;
  kill(signal: NodeJS.Signals): void;
}

export interface SpawnOptions {
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
  /** Child stdout/stderr: shared with the supervisor (journald) or dropped. */
  readonly stdio: 'inherit' | 'ignore';
}

/** How the supervisor starts and finds agent processes. */
export interface ProcessSpawner {
  spawn(command: string, args: readonly string[], options: SpawnOptions): SpawnedProcess;
  /**
   * Kills a process left running by an earlier supervisor if it is still alive and its command
   * line contains `marker` (so a recycled pid is never hit). Resolves once it is gone.
   */
  killStale(pid: number, marker: string, timeoutMs: number): Promise<boolean>;
}
