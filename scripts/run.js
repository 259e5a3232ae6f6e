// Runs a TypeScript script from the compiled tree: builds first (incremental, a few seconds),
// then executes dist/<path>.js with the remaining arguments. Signals (Ctrl-C, SIGTERM) reach the
// script, and this process waits for it to finish its own shutdown before exiting with its status.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';

const [script, ...args] = process.argv.slice(2);
if (!script) {
  console.error('usage: node scripts/run.js <path/to/script.ts> [args...]');
  process.exit(2);
}

let child;
const forward = (signal) => {
  // A terminal delivers Ctrl-C to the whole process group, the child included; a signal sent to
  // this process alone must still reach it. Scripts treat a repeated signal as the same request.
  if (child && child.exitCode === null && child.signalCode === null) child.kill(signal);
};
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => forward(signal));

function runNode(argv) {
  return new Promise((resolve) => {
    child = spawn(process.execPath, argv, { stdio: 'inherit' });
    child.once('error', (error) => {
      console.error(`${argv[0]}: ${error.message}`);
      resolve({ code: 1, signal: null });
    });
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
}

function exitLike({ code, signal }) {
  if (signal) {
    // Die of the same signal, so callers (shells, npm) see how the script ended.
    process.removeAllListeners(signal);
    process.kill(process.pid, signal);
    process.exit(1);
  }
  process.exit(code ?? 1);
}

if (process.env.FLEET_SKIP_BUILD !== '1') {
  const built = await runNode(['scripts/build.js']);
  if (built.signal || built.code !== 0) exitLike(built);
}
const target = `dist/${script.replace(/\.ts$/, '.js')}`;
if (!existsSync(target)) {
  console.error(`${script}: not found (expected ${target} after the build)`);
  process.exit(2);
}
exitLike(await runNode([target, ...args]));
