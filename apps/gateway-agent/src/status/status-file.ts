import { join } from 'node:path';
import { readJsonFile, writeJsonFile } from '../agent/state-file.js';
import { STATUS_FILE, type AgentStatus } from './agent-status.js';

/** `status.json` in the state directory: written by the running agent, read by `status`. */
export class StatusFile {
  constructor(private readonly stateDir: string) {}

  get path(): string {
    return join(this.stateDir, STATUS_FILE);
  }

  async write(status: AgentStatus): Promise<void> {
    // Rewritten every few seconds: atomic (readers never see half a file) but not fsynced.
    await writeJsonFile(this.path, status, { mode: 0o644, durable: false });
  }

  /** The last status written, or undefined when there is none or it is unreadable. */
  async read(): Promise<AgentStatus | undefined> {
    try {
      const plain = await readJsonFile(this.path);
      if (typeof plain !== 'object' || plain === null || (plain as { v?: unknown }).v !== 1)
        return undefined;
      return plain as AgentStatus;
    } catch {
      return undefined;
    }
  }
}
