// Builds the web console (apps/console, React + Vite) into dist/console. Skips the work when the
// console's sources, its build config and the versions of the packages it bundles are unchanged
// since the last build (the stamp in dist/console/.build-stamp); FORCE_CONSOLE_BUILD=1 rebuilds.
//
// A control plane may be serving dist/console while this runs, and several builds may start at
// once in a shared checkout: builds take a lock, go to a scratch folder, and are published by
// adding the new hashed assets first and then swapping index.html in one rename. The previous
// build's assets stay, so a page loaded a moment ago still finds its chunks.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  openSync,
  closeSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join, relative } from 'node:path';

const root = process.cwd();
const consoleDir = join(root, 'apps/console');
const outDir = join(root, 'dist/console');
const assetsDir = join(outDir, 'assets');
const stampFile = join(outDir, '.build-stamp');
const manifestFile = join(outDir, '.assets');
const lockFile = join(root, 'dist/.console-build.lock');
const BUNDLED = ['react', 'react-dom', 'uqr', 'vite', '@vitejs/plugin-react', 'typescript'];
const LOCK_STALE_MS = 5 * 60_000;
const LOCK_WAIT_MS = 6 * 60_000;

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

function upToDate(stamp) {
  return (
    process.env.FORCE_CONSOLE_BUILD !== '1' &&
    existsSync(join(outDir, 'index.html')) &&
    existsSync(stampFile) &&
    readFileSync(stampFile, 'utf8').trim() === stamp
  );
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** One build at a time; a lock older than LOCK_STALE_MS belonged to a build that died. */
async function acquireLock() {
  const deadline = Date.now() + LOCK_WAIT_MS;
  mkdirSync(join(root, 'dist'), { recursive: true });
  for (;;) {
    try {
      closeSync(openSync(lockFile, 'wx'));
      return;
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
    }
    let age = 0;
    try {
      age = Date.now() - statSync(lockFile).mtimeMs;
    } catch {
      continue;
    }
    if (age > LOCK_STALE_MS) {
      rmSync(lockFile, { force: true });
      continue;
    }
    if (Date.now() > deadline) {
      console.error(`console: another build holds ${relative(root, lockFile)}; giving up`);
      process.exit(1);
    }
    await sleep(500);
  }
}

if (!existsSync(join(consoleDir, 'index.html'))) {
  console.log('console: no apps/console/index.html, nothing to build');
  process.exit(0);
}

if (upToDate(sourceStamp())) {
  console.log('console: up to date (dist/console)');
  process.exit(0);
}

/** Builds and publishes; returns the process exit code. */
async function buildAndPublish() {
  await acquireLock();
  const scratch = join(root, 'dist', `.console-build-${process.pid}`);
  try {
    // Another build may have finished while this one waited for the lock.
    const stamp = sourceStamp();
    if (upToDate(stamp)) {
      console.log('console: up to date (dist/console)');
      return 0;
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
      return tsc.status ?? 1;
    }

    // A build started from inside a test runner inherits NODE_ENV=test, which would bundle
    // React's development build; the console shipped is always the production one.
    process.env.NODE_ENV = 'production';
    const { build } = await import('vite');
    await build({
      configFile: join(consoleDir, 'vite.config.ts'),
      logLevel: 'warn',
      mode: 'production',
      build: { outDir: scratch, emptyOutDir: true },
    });

    // Publish: new assets first (content-hashed names never clash), then index.html in one
    // rename.
    mkdirSync(assetsDir, { recursive: true });
    const built = readdirSync(join(scratch, 'assets'));
    for (const name of built) {
      if (!existsSync(join(assetsDir, name))) {
        copyFileSync(join(scratch, 'assets', name), join(assetsDir, name));
      }
    }
    const nextIndex = join(outDir, `.index-${process.pid}.html`);
    copyFileSync(join(scratch, 'index.html'), nextIndex);
    renameSync(nextIndex, join(outDir, 'index.html'));

    // Keep this build's assets and the previous build's; drop older ones.
    const previous = existsSync(manifestFile)
      ? readFileSync(manifestFile, 'utf8').split('\n').filter(Boolean)
      : [];
    const keep = new Set([...built, ...previous]);
    for (const name of readdirSync(assetsDir)) {
      if (!keep.has(name)) rmSync(join(assetsDir, name), { force: true });
    }
    writeFileSync(manifestFile, `${built.join('\n')}\n`);
    writeFileSync(stampFile, `${stamp}\n`);

    const total = built.reduce((sum, name) => sum + statSync(join(assetsDir, name)).size, 0);
    console.log(
      `console: built dist/console in ${((Date.now() - started) / 1000).toFixed(1)} s ` +
        `(${built.length} assets, ${(total / 1024).toFixed(0)} KiB)`,
    );
    return 0;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
    rmSync(lockFile, { force: true });
  }
}

process.exitCode = await buildAndPublish();
