// Builds the web console (apps/console, React + Vite) into dist/console. Skips the work when the
// console's sources, its build config and the versions of the packages it bundles are unchanged
// since the last build (the stamp in dist/console/.build-stamp); FORCE_CONSOLE_BUILD=1 rebuilds.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = process.cwd();
const consoleDir = join(root, 'apps/console');
const outDir = join(root, 'dist/console');
const stampFile = join(outDir, '.build-stamp');
const BUNDLED = ['react', 'react-dom', 'uqr', 'vite', '@vitejs/plugin-react', 'typescript'];

function files(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : files(path);
    return entry.isFile() ? [path] : [];
  });
}

function sourceStamp() {
  const hash = createHash('sha256');
  for (const file of files(consoleDir).sort()) {
    hash.update(relative(root, file)).update('\0').update(readFileSync(file)).update('\0');
  }
  for (const name of BUNDLED) {
    const manifest = join(root, 'node_modules', name, 'package.json');
    const version = existsSync(manifest) ? JSON.parse(readFileSync(manifest, 'utf8')).version : '-';
    hash.update(`${name}@${version}\0`);
  }
  return hash.digest('hex');
}

if (!existsSync(join(consoleDir, 'index.html'))) {
  console.log('console: no apps/console/index.html, nothing to build');
  process.exit(0);
}

const stamp = sourceStamp();
const upToDate =
  process.env.FORCE_CONSOLE_BUILD !== '1' &&
  existsSync(join(outDir, 'index.html')) &&
  existsSync(stampFile) &&
  readFileSync(stampFile, 'utf8').trim() === stamp;
if (upToDate) {
  console.log('console: up to date (dist/console)');
  process.exit(0);
}

const started = Date.now();
// Type-check first (strict, browser libs): the bundler strips types without checking them.
const tsc = spawnSync(
  process.execPath,
  [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(consoleDir, 'tsconfig.json')],
  { stdio: 'inherit' },
);
if (tsc.status !== 0) {
  console.error('console: type errors (see above)');
  process.exit(tsc.status ?? 1);
}

// A build started from inside a test runner inherits NODE_ENV=test, which would bundle React's
// development build; the console shipped is always the production one.
process.env.NODE_ENV = 'production';
const { build } = await import('vite');
await build({
  configFile: join(consoleDir, 'vite.config.ts'),
  logLevel: 'warn',
  mode: 'production',
});
writeFileSync(stampFile, `${stamp}\n`);

const assets = join(outDir, 'assets');
const sizes = readdirSync(assets).map((name) => [name, statSync(join(assets, name)).size]);
const total = sizes.reduce((sum, [, size]) => sum + size, 0);
console.log(
  `console: built dist/console in ${((Date.now() - started) / 1000).toFixed(1)} s ` +
    `(${sizes.length} assets, ${(total / 1024).toFixed(0)} KiB)`,
);
