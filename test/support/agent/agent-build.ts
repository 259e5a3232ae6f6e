// Makes sure dist/ holds a build of the agent at least as new as its sources (and the libs).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '@fleet/common';

const root = packageRoot();
export const AGENT_BIN = join(root, 'bin', 'gateway-agent.js');
const AGENT_MAIN = join(root, 'dist/apps/gateway-agent/src/main.js');

/** Newest mtime of the files under `dir` that match (0 when there are none). */
function newest(dir: string, match: (name: string) => boolean): number {
  if (!existsSync(dir)) return 0;
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) t = Math.max(t, newest(p, match));
    else if (match(e.name)) t = Math.max(t, statSync(p).mtimeMs);
  }
  return t;
}

const isSource = (n: string): boolean => n.endsWith('.ts') && !n.endsWith('.spec.ts');

/** Builds (npm run build) only when the compiled agent is older than a source it depends on. */
export function ensureAgentBuilt(): void {
  const sources = Math.max(
    newest(join(root, 'apps/gateway-agent/src'), isSource),
    ...['common', 'contracts', 'profiles', 'fieldbus', 'firmware'].map((lib) =>
      newest(join(root, 'libs', lib, 'src'), isSource),
    ),
  );
  const built = existsSync(AGENT_MAIN)
    ? Math.min(
        newest(join(root, 'dist/apps/gateway-agent/src'), (n) => n.endsWith('.js')),
        statSync(AGENT_MAIN).mtimeMs,
      )
    : 0;
  if (built >= sources) return;
  const build = spawnSync(process.execPath, ['scripts/build.js'], {
    cwd: root,
    encoding: 'utf8',
    timeout: 170_000,
  });
  if (build.status !== 0) {
    throw new Error(`npm run build failed:\n${build.stdout}\n${build.stderr}`);
  }
}
