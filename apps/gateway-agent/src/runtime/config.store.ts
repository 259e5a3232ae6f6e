import { rename } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeDownlink, gatewayTopic, type GatewayConfigMessage } from '@fleet/contracts';
import { readJsonFile, writeJsonFile } from '../agent/state-file.js';

export const CONFIG_FILE = 'config.json';

export type StoredConfig =
  | { kind: 'none' }
  | { kind: 'ok'; message: GatewayConfigMessage }
  /** The file was unusable and was moved aside to `movedTo`. */
  | { kind: 'invalid'; problem: string; movedTo: string };

/** The last configuration that was applied, kept across restarts (`config.json`, replaced atomically). */
export class ConfigStore {
  constructor(
    private readonly stateDir: string,
    private readonly gatewayId: string,
  ) {}

  get path(): string {
    return join(this.stateDir, CONFIG_FILE);
  }

  async save(message: GatewayConfigMessage): Promise<void> {
    await writeJsonFile(this.path, message, { mode: 0o600 });
  }

  /** Reads the stored configuration back through the same contract check as a received one. */
  async load(): Promise<StoredConfig> {
    let plain: unknown;
    let problem: string | undefined;
    try {
      plain = await readJsonFile(this.path);
    } catch (error) {
      problem = `not JSON: ${(error as Error).message}`;
    }
    if (problem === undefined) {
      if (plain === undefined) return { kind: 'none' };
      const decoded = decodeDownlink(
        gatewayTopic(this.gatewayId, 'config'),
        Buffer.from(JSON.stringify(plain)),
      );
      if (decoded.ok && decoded.channel === 'config')
        return { kind: 'ok', message: decoded.message };
      problem = decoded.ok ? 'not a configuration' : decoded.rejection.detail;
    }
    const movedTo = `${this.path}.invalid-${Date.now()}`;
    await rename(this.path, movedTo);
    return { kind: 'invalid', problem, movedTo };
  }
}
