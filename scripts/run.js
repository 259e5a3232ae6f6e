// Runs a TypeScript script from the compiled tree: builds first (incremental, a few seconds),
// then executes dist/<path>.js with the remaining arguments.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const [script, ...args] = process.argv.slice(2);
if (!script) {
  console.error('usage: node scripts/run.js <path/to/script.ts> [args...]');
  process.exit(2);
}
if (process.env.FLEET_SKIP_BUILD !== '1') {
  const built = spawnSync(process.execPath, ['scripts/build.js'], { stdio: 'inherit' });
  if (built.status !== 0) process.exit(built.status ?? 1);
}
const target = `dist/${script.replace(/\.ts$/, '.js')}`;
if (!existsSync(target)) {
  console.error(`${script}: not found (expected ${target} after the build)`);
  process.exit(2);
}
const r = spawnSync(process.execPath, [target, ...args], { stdio: 'inherit' });
process.exit(r.status ?? (r.signal ? 1 : 0));
