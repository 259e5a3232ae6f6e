import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { packageRoot } from '@fleet/common';

const root = packageRoot();
const SOURCES = ['libs/firmware/src', 'libs/common/src', 'apps/fleetctl/src/firmware'];
const OUTPUTS = [
  'dist/libs/firmware/src/index.js',
  'dist/apps/fleetctl/src/firmware/firmware.main.js',
];

/** file:// URL of the compiled firmware lib, for scripts that child processes run. */
export const firmwareDistUrl = pathToFileURL(join(root, 'dist/libs/firmware/src/index.js')).href;
/** The compiled standalone `fleetctl firmware` entry. */
export const firmwareCliPath = join(root, 'dist/apps/fleetctl/src/firmware/firmware.main.js');

function sourceFiles(dir: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...sourceFiles(path));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts')) files.push(path);
  }
  return files.sort();
}

/** Content hash of the sources the compiled firmware code comes from. */
function sourceHash(): string {
  const hash = createHash('sha256');
  for (const file of SOURCES.flatMap((d) => sourceFiles(join(root, d)))) {
    hash.update(file);
    hash.update(readFileSync(file));
  }
  return hash.digest('hex');
}

const stamp = join(root, 'dist', '.firmware-test-build.stamp');

/** Files whose `@fleet/*` imports tsc-alias must have rewritten to relative paths. */
const ALIASED = [
  'dist/apps/fleetctl/src/firmware/firmware.commands.js',
  'dist/libs/firmware/src/firmware-error.js',
];

function upToDate(): boolean {
  return (
    OUTPUTS.every((o) => existsSync(join(root, o))) &&
    existsSync(stamp) &&
    readFileSync(stamp, 'utf8') === sourceHash() &&
    // Someone's failed `npm run build` re-emits files but stops before the alias rewrite.
    ALIASED.every((f) => !readFileSync(join(root, f), 'utf8').includes("from '@fleet/"))
  );
}

/**
 * Child processes in these tests run compiled code, as on a gateway. Builds (tsc + tsc-alias, as
 * `npm run build`) when the firmware sources changed since the last build this helper made. Type errors elsewhere in the shared
 * tree do not stop tsc from emitting, so the alias rewrite runs whatever tsc's exit code.
 */
export function ensureFirmwareBuilt(): void {
  if (upToDate()) return;
  const lock = join(root, 'dist', '.firmware-test-build.lock');
  mkdirSync(join(root, 'dist'), { recursive: true });
  const giveUpAt = Date.now() + 120_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (Date.now() > giveUpAt) throw new Error(`${lock} held for 2 minutes; remove it if stale`);
      spawnSync('sleep', ['0.2']);
    }
  }
  try {
    if (upToDate()) return;
    const tsc = spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], {
      cwd: root,
      encoding: 'utf8',
    });
    const alias = spawnSync('npx', ['tsc-alias', '-p', 'tsconfig.build.json'], {
      cwd: root,
      encoding: 'utf8',
    });
    if (!OUTPUTS.every((o) => existsSync(join(root, o))) || alias.status !== 0)
      throw new Error(
        `build did not produce the firmware outputs:\n${tsc.stdout}${tsc.stderr}${alias.stdout}${alias.stderr}`,
      );
    writeFileSync(stamp, sourceHash());
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}
