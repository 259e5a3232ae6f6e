// Builds everything a checkout needs to run: TypeScript (tsc + alias rewrite).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

function run(cmd, args) {
  const r = spawnSync(cmd, args, { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
run('npx', ['tsc', '-p', 'tsconfig.build.json']);
run('npx', ['tsc-alias', '-p', 'tsconfig.build.json']);
// The web console (React + Vite) builds into dist/console when its sources are present.
if (existsSync('scripts/build-console.js')) run(process.execPath, ['scripts/build-console.js']);
