import { isBuiltin } from 'node:module';
import { cp, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { valid as validSemver } from 'semver';
import { digestFile, packAgentBundle } from '@fleet/firmware';
import { AgentError } from '../agent/agent.error.js';

/** What `node <slot>/<entry> run` starts. */
export const AGENT_BUNDLE_ENTRY = 'bin/gateway-agent.js';
const PROFILES_DIR = 'device-profiles';

export interface AgentBundleOptions {
  /** The installation or checkout holding `package.json`, `bin/`, `dist/` and `device-profiles/`. */
  readonly root: string;
  readonly version: string;
  readonly out: string;
}

export interface BuiltAgentBundle {
  readonly path: string;
  readonly version: string;
  readonly entry: string;
  readonly sha256: string;
  readonly size: number;
  /** Compiled files taken from `dist/` and `bin/`. */
  readonly files: number;
  /** Packages the agent imports, with the versions the slot checks for before it commits. */
  readonly dependencies: Readonly<Record<string, string>>;
}

// tsc emits one import/export statement per line, at the start of the line.
const STATIC_IMPORT = /^(?:import|export)\b[^;'"]*?\bfrom\s*['"]([^'"]+)['"]/gm;
const BARE_IMPORT = /^import\s*['"]([^'"]+)['"]/gm;
const DYNAMIC_IMPORT = /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

/**
 * Packs what a slot needs to run the compiled agent: `bin/gateway-agent.js`, every compiled file it
 * imports (followed from the entry, so nothing of the control plane comes along), the device
 * profiles, and a `package.json` (name edge-fleet, this version, the imported packages pinned).
 * Packages are not vendored: a slot resolves them through `slots/node_modules`, a link to the
 * installation's `node_modules` (native modules stay the ones built on the gateway); a release that
 * needs other package versions fails its trial's dependency check and rolls back.
 */
export async function buildAgentBundle(options: AgentBundleOptions): Promise<BuiltAgentBundle> {
  const root = resolve(options.root);
  if (validSemver(options.version) !== options.version)
    throw new AgentError(
      'CONFIG_INVALID',
      `--version: "${options.version}" is not a semantic version such as 1.4.0`,
    );
  const rootManifest = await readManifest(root);
  const entry = join(root, AGENT_BUNDLE_ENTRY);
  const main = join(root, 'dist/apps/gateway-agent/src/main.js');
  for (const [path, hint] of [
    [entry, 'the bin shim'],
    [main, 'the compiled agent (npm run build)'],
  ] as const) {
    if (!(await isFile(path)))
      throw new AgentError('CONFIG_INVALID', `${path}: missing (${hint}) in ${root}`);
  }
  const { files, packages } = await importGraph(root, entry);
  const dependencies: Record<string, string> = {};
  for (const name of [...packages].sort()) {
    const version = rootManifest.dependencies?.[name] ?? (await installedVersion(root, name));
    if (version === undefined)
      throw new AgentError(
        'CONFIG_INVALID',
        `the agent imports "${name}", which is neither in ${join(root, 'package.json')} nor installed`,
      );
    dependencies[name] = version;
  }

  const out = resolve(options.out);
  await mkdir(dirname(out), { recursive: true });
  const staging = await mkdtemp(join(dirname(out), '.agent-bundle-'));
  try {
    for (const file of files) {
      const target = join(staging, file);
      await mkdir(dirname(target), { recursive: true });
      await cp(join(root, file), target);
    }
    if (await isDirectory(join(root, PROFILES_DIR)))
      await cp(join(root, PROFILES_DIR), join(staging, PROFILES_DIR), { recursive: true });
    const manifest = {
      name: 'edge-fleet',
      version: options.version,
      description: 'edge-fleet gateway agent release bundle',
      private: true,
      license: rootManifest.license ?? 'UNLICENSED',
      type: 'module',
      ...(rootManifest.engines ? { engines: rootManifest.engines } : {}),
      dependencies,
    };
    await writeFile(join(staging, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    await packAgentBundle(staging, options.version, out, { entry: AGENT_BUNDLE_ENTRY });
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  const digest = await digestFile(out);
  return {
    path: out,
    version: options.version,
    entry: AGENT_BUNDLE_ENTRY,
    sha256: digest.sha256,
    size: digest.size,
    files: files.length,
    dependencies,
  };
}

interface RootManifest {
  name?: string;
  license?: string;
  engines?: Record<string, string>;
  dependencies?: Record<string, string>;
}

async function readManifest(root: string): Promise<RootManifest> {
  let manifest: RootManifest;
  try {
    manifest = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as RootManifest;
  } catch (error) {
    throw new AgentError(
      'CONFIG_INVALID',
      `${join(root, 'package.json')}: ${(error as Error).message}`,
    );
  }
  if (manifest.name !== 'edge-fleet')
    throw new AgentError(
      'CONFIG_INVALID',
      `${root} is not an edge-fleet installation (package.json name is ${JSON.stringify(manifest.name)})`,
    );
  return manifest;
}

/** Every compiled file reachable from `entry` by relative imports, and the packages they import. */
async function importGraph(
  root: string,
  entry: string,
): Promise<{ files: string[]; packages: Set<string> }> {
  const seen = new Set<string>();
  const packages = new Set<string>();
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.pop();
    if (file === undefined || seen.has(file)) continue;
    seen.add(file);
    const source = await readFile(file, 'utf8');
    for (const pattern of [STATIC_IMPORT, BARE_IMPORT, DYNAMIC_IMPORT]) {
      for (const match of source.matchAll(pattern)) {
        const specifier = match[1] ?? '';
        if (specifier.startsWith('.')) {
          const target = resolve(dirname(file), specifier);
          if (!target.startsWith(root + sep) || !(await isFile(target)))
            throw new AgentError(
              'CONFIG_INVALID',
              `${relative(root, file)} imports ${specifier}, which is not a file of ${root} (rebuild with npm run build)`,
            );
          queue.push(target);
        } else if (!isBuiltin(specifier)) {
          packages.add(packageName(specifier));
        }
      }
    }
  }
  return { files: [...seen].map((f) => relative(root, f)).sort(), packages };
}

function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? specifier);
}

async function installedVersion(root: string, name: string): Promise<string | undefined> {
  try {
    const text = await readFile(join(root, 'node_modules', name, 'package.json'), 'utf8');
    const version = (JSON.parse(text) as { version?: unknown }).version;
    return typeof version === 'string' ? version : undefined;
  } catch {
    return undefined;
  }
}

async function isFile(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isFile() ?? false;
}

async function isDirectory(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isDirectory() ?? false;
}
