import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { satisfies, valid } from 'semver';

/**
 * Checks that every package in `<slotDir>/package.json` `dependencies` resolves from the slot (its
 * own `node_modules`, else the installation's through `slots/node_modules`) to a version the bundle
 * was built against. A release that needs other packages than the gateway has must not commit.
 * Returns one line per problem; empty when all is well.
 */
export async function checkSlotDependencies(slotDir: string): Promise<string[]> {
  let manifest: { dependencies?: Record<string, unknown> };
  try {
    manifest = JSON.parse(await readFile(join(slotDir, 'package.json'), 'utf8')) as typeof manifest;
  } catch (error) {
    return [`${join(slotDir, 'package.json')}: ${(error as Error).message}`];
  }
  const problems: string[] = [];
  for (const [name, wanted] of Object.entries(manifest.dependencies ?? {})) {
    if (typeof wanted !== 'string') {
      problems.push(`${name}: version range must be a string`);
      continue;
    }
    const installed = await installedVersion(slotDir, name);
    if (installed === undefined) problems.push(`${name} ${wanted} is not installed`);
    else if (!valid(installed) || !satisfies(installed, wanted))
      problems.push(`${name} ${wanted} is needed, ${installed} is installed`);
  }
  return problems;
}

/** The version Node's resolution would load for `name` from `dir` (walking up node_modules). */
async function installedVersion(dir: string, name: string): Promise<string | undefined> {
  for (let current = dir; ; current = dirname(current)) {
    try {
      const text = await readFile(join(current, 'node_modules', name, 'package.json'), 'utf8');
      const version = (JSON.parse(text) as { version?: unknown }).version;
      return typeof version === 'string' ? version : 'unknown';
    } catch {
      // not here; look one directory up
    }
    if (dirname(current) === current) return undefined;
  }
}
