import type { Command } from 'commander';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { FleetApi } from './api-client.js';
import { CliError } from './cli-error.js';

export interface GlobalOptions {
  server?: string;
  token?: string;
  tenant?: string;
  json?: boolean;
}

interface StoredCredentials {
  server: string;
  token: string;
  tenant?: string;
}

export function credentialsFile(env: NodeJS.ProcessEnv = process.env): string {
  return (
    env.FLEETCTL_CONFIG ??
    join(env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'fleetctl', 'credentials.json')
  );
}

async function stored(): Promise<StoredCredentials | undefined> {
  try {
    return JSON.parse(await readFile(credentialsFile(), 'utf8')) as StoredCredentials;
  } catch {
    return undefined;
  }
}

export async function storeCredentials(credentials: StoredCredentials): Promise<string> {
  const file = credentialsFile();
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
  await chmod(file, 0o600);
  return file;
}

/** Flags win over environment variables, which win over `fleetctl login`'s stored credentials. */
export async function apiFor(
  command: Command,
  needsToken = true,
): Promise<{ api: FleetApi; options: GlobalOptions }> {
  const options = command.optsWithGlobals<GlobalOptions>();
  const saved = await stored();
  const server =
    options.server ?? process.env.FLEET_URL ?? saved?.server ?? 'http://127.0.0.1:3000';
  const token = options.token ?? process.env.FLEET_TOKEN ?? saved?.token;
  const tenant = options.tenant ?? process.env.FLEET_TENANT ?? saved?.tenant;
  if (needsToken && !token) {
    throw new CliError('no API token: pass --token, set FLEET_TOKEN, or run `fleetctl login`', 4);
  }
  return { api: new FleetApi({ server, token, tenant }), options };
}
