import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { FieldProblem } from '@fleet/common';
import { isValidGatewayId } from '@fleet/contracts';
import { SimulatorError } from './simulator.error.js';

/** What enrollment gave one simulated gateway, and the registry ids of the devices it registered. */
export interface SimulatedIdentity {
  serialNumber: string;
  gatewayId: string;
  siteId: string;
  mqtt: { url: string; username: string; password: string; clientId: string };
  /** Device key (see planGatewayDevices) → registry id. */
  devices: Record<string, string>;
}

interface StateFile {
  version: 1;
  server: string;
  tenant: string | null;
  gateways: Record<string, SimulatedIdentity>;
}

/**
 * The simulator's cache of enrolled identities (credentials included, so the file is mode 0600),
 * so a re-run neither spends claims nor registers devices again. One file belongs to one server and
 * tenant; writes go to a temporary file first, so a crash never leaves half a file.
 */
export class IdentityStore {
  private dirty = false;
  private saving: Promise<void> = Promise.resolve();

  private constructor(
    readonly file: string,
    private readonly state: StateFile,
  ) {}

  static async open(
    file: string,
    server: string,
    tenant: string | undefined,
  ): Promise<IdentityStore> {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      return new IdentityStore(file, { version: 1, server, tenant: tenant ?? null, gateways: {} });
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw new SimulatorError(
        'STATE_FILE_INVALID',
        `${file}: not JSON (${(error as Error).message}); delete it to enroll again`,
      );
    }
    const state = checkState(file, parsed);
    if (state.server !== server || state.tenant !== (tenant ?? null)) {
      throw new SimulatorError(
        'STATE_FILE_MISMATCH',
        `${file} holds gateways of ${state.server} (tenant ${state.tenant ?? 'of the token'}), not ${server} (tenant ${tenant ?? 'of the token'}); choose another file with --state-file`,
      );
    }
    return new IdentityStore(file, state);
  }

  get(serialNumber: string): SimulatedIdentity | undefined {
    return this.state.gateways[serialNumber];
  }

  get size(): number {
    return Object.keys(this.state.gateways).length;
  }

  put(identity: SimulatedIdentity): void {
    this.state.gateways[identity.serialNumber] = identity;
    this.dirty = true;
  }

  remove(serialNumber: string): void {
    if (serialNumber in this.state.gateways) {
      // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- a record keyed by serial number
      delete this.state.gateways[serialNumber];
      this.dirty = true;
    }
  }

  /**
   * Writes the file if anything changed since the last save. Saves run one after another: two
   * overlapping ones would share the temporary file and the second rename would find it gone.
   */
  save(): Promise<void> {
    const run = this.saving.then(() => this.write());
    this.saving = run.catch(() => undefined);
    return run;
  }

  private async write(): Promise<void> {
    if (!this.dirty) return;
    this.dirty = false;
    await mkdir(dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    await writeFile(tmp, `${JSON.stringify(this.state, null, 1)}\n`, { mode: 0o600 });
    await chmod(tmp, 0o600);
    await rename(tmp, this.file);
  }
}

function checkState(file: string, value: unknown): StateFile {
  const problems: FieldProblem[] = [];
  const isObject = (v: unknown): v is Record<string, unknown> =>
    typeof v === 'object' && v !== null && !Array.isArray(v);
  const str = (v: unknown): v is string => typeof v === 'string' && v.length > 0;
  if (!isObject(value))
    throw new SimulatorError('STATE_FILE_INVALID', `${file}: must hold a JSON object`);
  if (value.version !== 1) problems.push({ field: 'version', reason: 'must be 1' });
  if (!str(value.server))
    problems.push({ field: 'server', reason: 'must be the control plane URL' });
  if (value.tenant !== null && !str(value.tenant))
    problems.push({ field: 'tenant', reason: 'must be a tenant id or null' });
  if (!isObject(value.gateways))
    problems.push({ field: 'gateways', reason: 'must be an object keyed by serial number' });
  else {
    for (const [serial, g] of Object.entries(value.gateways)) {
      const at = `gateways.${serial}`;
      if (!isObject(g)) {
        problems.push({ field: at, reason: 'must be an object' });
        continue;
      }
      if (g.serialNumber !== serial)
        problems.push({ field: `${at}.serialNumber`, reason: `must be "${serial}"` });
      if (!isValidGatewayId(g.gatewayId))
        problems.push({ field: `${at}.gatewayId`, reason: 'must be a gateway id' });
      if (!str(g.siteId)) problems.push({ field: `${at}.siteId`, reason: 'must be a site id' });
      const m = g.mqtt;
      if (!isObject(m) || !str(m.url) || !str(m.username) || !str(m.password) || !str(m.clientId))
        problems.push({
          field: `${at}.mqtt`,
          reason: 'must hold url, username, password and clientId',
        });
      if (!isObject(g.devices) || !Object.values(g.devices).every(str))
        problems.push({ field: `${at}.devices`, reason: 'must map device keys to registry ids' });
    }
  }
  if (problems.length > 0) {
    throw new SimulatorError(
      'STATE_FILE_INVALID',
      `${file} is not a simulator state file (${problems
        .slice(0, 5)
        .map((p) => `${p.field}: ${p.reason}`)
        .join('; ')}); delete it to enroll again`,
      problems,
    );
  }
  return value as unknown as StateFile;
}
