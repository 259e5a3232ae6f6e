import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { AbSlotInstaller, BootDecision } from './ab-slot-installer.js';
import { writeFileAtomic } from './atomic-file.js';
import { NodeProcessSpawner } from './node-process.adapter.js';
import type { ProcessExit, ProcessSpawner, SpawnedProcess } from './process-spawner.port.js';
import type { InstallerStatus } from './slot-installer.port.js';
import { RESTART_EXIT_CODE, SLOT_ENV } from './trial-handle.js';

export interface SupervisorLogger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export interface SlotSupervisorOptions {
  readonly installer: AbSlotInstaller;
  readonly spawner?: ProcessSpawner;
  /** Node binary; default the one running the supervisor. */
  readonly nodePath?: string;
  readonly nodeArgs?: readonly string[];
  /** Arguments after the entry script, e.g. `['run', '--config', '/etc/edge-fleet/agent.yaml']`. */
  readonly args?: readonly string[];
  /** Base environment of the agent; the supervisor adds the FLEET_SLOT_* variables. */
  readonly env?: Readonly<Record<string, string>>;
  readonly stdio?: 'inherit' | 'ignore';
  /** A trial must commit within this long after it starts, or it is stopped and rolled back; default 120 s. */
  readonly healthDeadlineMs?: number;
  /** Backoff after an agent crash: doubling from initialMs to maxMs; reset once it ran resetAfterMs. */
  readonly restartBackoff?: {
    readonly initialMs: number;
    readonly maxMs: number;
    readonly resetAfterMs: number;
  };
  /** Grace between SIGTERM and SIGKILL when stopping an agent; default 10 s. */
  readonly stopTimeoutMs?: number;
  readonly restartExitCode?: number;
  readonly logger?: SupervisorLogger;
  /** Called on every state change (e.g. to write a status file the agent or a technician reads). */
  readonly onChange?: (status: SupervisorStatus) => void;
}

export type SupervisorState =
  'idle' | 'starting' | 'running' | 'backoff' | 'stopping' | 'stopped' | 'failed';

export interface SupervisorStatus {
  readonly state: SupervisorState;
  readonly pid: number | null;
  readonly slot: string | null;
  readonly version: string | null;
  readonly trial: boolean;
  /** Agent starts after the first one. */
  readonly restarts: number;
  readonly lastExit: (ProcessExit & { readonly at: string }) | null;
  readonly lastRollback: {
    readonly version: string;
    readonly reason: string;
    readonly at: string;
  } | null;
  readonly error: string | null;
}

interface Running {
  readonly child: SpawnedProcess;
  readonly decision: BootDecision;
  readonly startedAt: number;
}

const jsonLogger: SupervisorLogger = {
  info: (message, fields) => {
    process.stderr.write(`${JSON.stringify({ level: 'info', message, ...fields })}\n`);
  },
  warn: (message, fields) => {
    process.stderr.write(`${JSON.stringify({ level: 'warn', message, ...fields })}\n`);
  },
  error: (message, fields) => {
    process.stderr.write(`${JSON.stringify({ level: 'error', message, ...fields })}\n`);
  },
};

/**
 * The agent's "bootloader": runs `node <slot>/<entry>` for the slot `decideBoot()` picks, restarts it
 * when it exits (at once for RESTART_EXIT_CODE, with backoff after a crash), and rolls a trial back
 * when the trial process dies or does not commit within the health deadline. Started by systemd in
 * production (`gateway-agent supervise`); stop() forwards SIGTERM/SIGINT to the agent.
 */
export class SlotSupervisor {
  private readonly spawner: ProcessSpawner;
  private readonly log: SupervisorLogger;
  private readonly pidFile: string;
  private current: Running | null = null;
  private stopping = false;
  private wake: (() => void) | null = null;
  private runPromise: Promise<void> | null = null;
  private snapshot: SupervisorStatus = {
    state: 'idle',
    pid: null,
    slot: null,
    version: null,
    trial: false,
    restarts: 0,
    lastExit: null,
    lastRollback: null,
    error: null,
  };

  constructor(private readonly options: SlotSupervisorOptions) {
    this.spawner = options.spawner ?? new NodeProcessSpawner();
    this.log = options.logger ?? jsonLogger;
    this.pidFile = join(options.installer.slotsDir, 'agent.pid');
  }

  /** Supervises until stop(); rejects if no slot can be started at all (NO_BOOTABLE_SLOT). */
  run(): Promise<void> {
    this.runPromise ??= this.loop();
    return this.runPromise;
  }

  /** Stops the agent (signal, then SIGKILL after the grace) and the supervision loop. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    this.stopping = true;
    this.wake?.();
    if (this.current) this.terminate(this.current.child, signal);
    if (this.runPromise) await this.runPromise.catch(() => undefined);
  }

  /** Forwards SIGTERM/SIGINT to the agent and stops; returns a function that removes the handlers. */
  handleSignals(onStopped: () => void): () => void {
    const handler = (signal: NodeJS.Signals): void => {
      this.log.info('supervisor stopping', { signal });
      void this.stop(signal).then(onStopped);
    };
    process.once('SIGTERM', handler);
    process.once('SIGINT', handler);
    return () => {
      process.off('SIGTERM', handler);
      process.off('SIGINT', handler);
    };
  }

  status(): SupervisorStatus {
    return this.snapshot;
  }

  /** Supervisor view plus the slot state (running version, trial, last result with its reason). */
  async fullStatus(): Promise<{ supervisor: SupervisorStatus; slots: InstallerStatus }> {
    return { supervisor: this.snapshot, slots: await this.options.installer.status() };
  }

  private async loop(): Promise<void> {
    const installer = this.options.installer;
    const backoff = this.options.restartBackoff ?? {
      initialMs: 1000,
      maxMs: 30_000,
      resetAfterMs: 60_000,
    };
    let crashes = 0;
    let starts = 0;
    try {
      await this.killLeftover();
      while (!this.stopping) {
        this.set({ state: 'starting' });
        const decision = await installer.decideBoot();
        if (decision.rolledBack) {
          this.log.warn('trial rolled back at boot', { reason: decision.rolledBack });
          this.set({
            lastRollback: {
              version: decision.version,
              reason: decision.rolledBack,
              at: new Date().toISOString(),
            },
          });
        }
        const run = await this.startAgent(decision);
        this.set({
          state: 'running',
          pid: run.child.pid ?? null,
          slot: decision.slot,
          version: decision.version,
          trial: decision.trial,
          restarts: starts++,
        });
        const outcome = await this.watch(run);
        if (this.stopping) break;

        let immediate = outcome.exit.code === (this.options.restartExitCode ?? RESTART_EXIT_CODE);
        if (decision.trial) {
          const after = await installer.status();
          if (after.trial?.slot === decision.slot && after.trial.version === decision.version) {
            const reason = outcome.deadlineHit
              ? `trial of ${decision.version} did not commit within the ${this.healthDeadlineMs} ms health-check deadline`
              : `trial of ${decision.version} exited (${describeExit(outcome.exit)}) before committing`;
            await installer.rollback(reason);
            this.log.warn('trial rolled back', {
              slot: decision.slot,
              version: decision.version,
              reason,
            });
            this.set({
              lastRollback: { version: decision.version, reason, at: new Date().toISOString() },
            });
            immediate = true;
          }
        }
        if (immediate) {
          crashes = 0;
          continue;
        }
        const ranMs = Date.now() - run.startedAt;
        crashes = ranMs >= backoff.resetAfterMs ? 1 : crashes + 1;
        const delay = Math.min(backoff.maxMs, backoff.initialMs * 2 ** (crashes - 1));
        this.log.warn('agent exited; restarting after backoff', {
          ...outcome.exit,
          delayMs: delay,
        });
        this.set({ state: 'backoff', pid: null });
        await this.pause(delay);
      }
      this.set({ state: 'stopped', pid: null });
    } catch (error) {
      this.log.error('supervisor cannot start an agent', { error: (error as Error).message });
      this.set({ state: 'failed', pid: null, error: (error as Error).message });
      throw error;
    }
  }

  private get healthDeadlineMs(): number {
    return this.options.healthDeadlineMs ?? 120_000;
  }

  private async startAgent(decision: BootDecision): Promise<Running> {
    const env: Record<string, string> = {
      ...(this.options.env ?? {}),
      [SLOT_ENV.stateDir]: this.options.installer.stateDir,
      [SLOT_ENV.slot]: decision.slot,
      [SLOT_ENV.version]: decision.version,
      [SLOT_ENV.trial]: decision.trial ? '1' : '0',
      [SLOT_ENV.deploymentId]: decision.deploymentId ?? '',
    };
    const child = this.spawner.spawn(
      this.options.nodePath ?? process.execPath,
      [...(this.options.nodeArgs ?? []), decision.entryPath, ...(this.options.args ?? [])],
      { cwd: decision.dir, env, stdio: this.options.stdio ?? 'inherit' },
    );
    this.log.info('agent started', {
      pid: child.pid,
      slot: decision.slot,
      version: decision.version,
      trial: decision.trial,
      attempt: decision.attempt,
    });
    const run = { child, decision, startedAt: Date.now() };
    this.current = run;
    if (child.pid !== undefined)
      await writeFileAtomic(
        this.pidFile,
        JSON.stringify({ pid: child.pid, dir: decision.dir }),
      ).catch((error: unknown) => {
        this.log.warn('could not write the agent pid file', { error: (error as Error).message });
      });
    return run;
  }

  private async watch(run: Running): Promise<{ exit: ProcessExit; deadlineHit: boolean }> {
    let deadlineHit = false;
    const { decision, child } = run;
    const timer = decision.trial
      ? setTimeout(() => {
          void this.options.installer.status().then((s) => {
            if (s.trial?.slot !== decision.slot || this.current !== run) return;
            deadlineHit = true;
            this.log.warn('trial did not commit in time; stopping it', {
              slot: decision.slot,
              version: decision.version,
              deadlineMs: this.healthDeadlineMs,
            });
            this.terminate(child, 'SIGTERM');
          });
        }, this.healthDeadlineMs)
      : undefined;
    const exit = await child.exited;
    clearTimeout(timer);
    this.current = null;
    await rm(this.pidFile, { force: true });
    this.set({ lastExit: { ...exit, at: new Date().toISOString() }, pid: null });
    this.log.info('agent exited', { ...exit, slot: decision.slot, version: decision.version });
    return { exit, deadlineHit };
  }

  private terminate(child: SpawnedProcess, signal: NodeJS.Signals): void {
    child.kill(signal);
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
    }, this.options.stopTimeoutMs ?? 10_000);
    void child.exited.then(() => {
      clearTimeout(timer);
    });
  }

  private async pause(ms: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
    this.wake = null;
  }

  /** An agent left behind by a supervisor that was killed must not run beside the new one. */
  private async killLeftover(): Promise<void> {
    let raw: string;
    try {
      raw = await readFile(this.pidFile, 'utf8');
    } catch {
      return;
    }
    try {
      const { pid, dir } = JSON.parse(raw) as { pid?: unknown; dir?: unknown };
      if (typeof pid === 'number' && typeof dir === 'string' && pid !== process.pid) {
        const killed = await this.spawner.killStale(pid, dir, this.options.stopTimeoutMs ?? 10_000);
        if (killed) this.log.warn('killed an agent left by an earlier supervisor', { pid });
      }
    } catch {
      // An unreadable pid file names no process; nothing to kill.
    }
    await rm(this.pidFile, { force: true });
  }

  private set(change: Partial<SupervisorStatus>): void {
    this.snapshot = { ...this.snapshot, ...change };
    this.options.onChange?.(this.snapshot);
  }
}

function describeExit(exit: ProcessExit): string {
  if (exit.error) return `could not start: ${exit.error}`;
  if (exit.signal) return `signal ${exit.signal}`;
  return `code ${exit.code ?? 'unknown'}`;
}
