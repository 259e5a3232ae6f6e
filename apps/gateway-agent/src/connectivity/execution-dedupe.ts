import { mkdir, open, readFile, rename, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ENTITY_ID_PATTERN } from '@fleet/contracts';
import { ConnectivityError } from './connectivity.error.js';
import { SerialQueue } from './serial-queue.js';

export interface ExecutionDedupeOptions {
  /** File in the agent's state directory, e.g. `<stateDir>/seen-executions.log`. */
  file: string;
  /** How many most recent execution ids to remember (default 10,000). */
  capacity?: number;
  /** fdatasync each new id, so a power cut right after cannot run it again (default true). */
  fsync?: boolean;
}

/**
 * The execution ids this gateway has already taken on, so a command redelivered by the broker
 * (QoS 1 is at-least-once) is not run twice, even across an agent restart. Bounded: the oldest ids
 * are forgotten past `capacity` (commands expire long before that many newer ones arrive).
 * Stored as an append-only file of lines, compacted when it doubles; a torn last line is ignored.
 */
export class ExecutionDedupe {
  private readonly seen = new Set<string>();
  private readonly queue = new SerialQueue();
  private writer: FileHandle | undefined;
  private linesInFile = 0;
  private readonly capacity: number;

  private constructor(private readonly options: ExecutionDedupeOptions) {
    this.capacity = options.capacity ?? 10_000;
    if (!Number.isInteger(this.capacity) || this.capacity <= 0) {
      throw new ConnectivityError(
        'INVALID_OPTIONS',
        `dedupe capacity must be a positive integer, got ${this.capacity}`,
      );
    }
  }

  static async open(options: ExecutionDedupeOptions): Promise<ExecutionDedupe> {
    const dedupe = new ExecutionDedupe(options);
    await dedupe.load();
    return dedupe;
  }

  has(executionId: string): boolean {
    return this.seen.has(executionId);
  }

  get size(): number {
    return this.seen.size;
  }

  /** Records an execution id; resolves false when it had been seen before (a redelivery). */
  markSeen(executionId: string): Promise<boolean> {
    if (!ENTITY_ID_PATTERN.test(executionId)) {
      return Promise.reject(
        new ConnectivityError(
          'INVALID_EXECUTION_ID',
          `invalid execution id ${JSON.stringify(executionId)}`,
        ),
      );
    }
    return this.queue.run(async () => {
      if (this.seen.has(executionId)) return false;
      const writer = await this.openWriter();
      await writer.appendFile(`${executionId}\n`, 'utf8');
      if (this.options.fsync ?? true) await writer.datasync();
      this.remember(executionId);
      this.linesInFile += 1;
      if (this.linesInFile > this.capacity * 2) await this.compact();
      return true;
    });
  }

  close(): Promise<void> {
    return this.queue.run(async () => {
      await this.writer?.close();
      this.writer = undefined;
    });
  }

  private remember(executionId: string): void {
    this.seen.add(executionId);
    if (this.seen.size > this.capacity) {
      const oldest = this.seen.values().next().value;
      if (oldest !== undefined) this.seen.delete(oldest);
    }
  }

  private async openWriter(): Promise<FileHandle> {
    if (!this.writer) this.writer = await open(this.options.file, 'a');
    return this.writer;
  }

  private async load(): Promise<void> {
    await mkdir(dirname(this.options.file), { recursive: true });
    let text = '';
    try {
      text = await readFile(this.options.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new ConnectivityError(
          'STATE_IO_FAILED',
          `cannot read ${this.options.file}: ${(error as Error).message}`,
        );
      }
    }
    const lines = text.split('\n');
    const torn = lines.pop() !== '';
    for (const line of lines) if (ENTITY_ID_PATTERN.test(line)) this.remember(line);
    this.linesInFile = lines.length;
    // Rewrite when a torn line must go (appends must start on a fresh line) or the file is overgrown.
    if (torn || this.linesInFile > this.capacity * 2) await this.compact();
  }

  private async compact(): Promise<void> {
    await this.writer?.close();
    this.writer = undefined;
    const tmp = `${this.options.file}.tmp`;
    const handle = await open(tmp, 'w');
    try {
      await handle.writeFile([...this.seen].map((id) => `${id}\n`).join(''), 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, this.options.file);
    this.linesInFile = this.seen.size;
  }
}
