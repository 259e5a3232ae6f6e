import { execFile, spawnSync } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '@fleet/common';

const root = packageRoot();
const script = join(root, 'dist/scripts/profiles-check.js');

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

function run(
  args: string[],
  cwd: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [script, ...args],
      { cwd, timeout: 30_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

describe('npm run profiles:check (built script, real process)', () => {
  let dir: string;

  beforeAll(async () => {
    // Build only when the compiled script or lib is older than its sources (specs are not built).
    const sources = Math.max(
      newest(join(root, 'libs/profiles/src'), (n) => n.endsWith('.ts') && !n.endsWith('.spec.ts')),
      statSync(join(root, 'scripts/profiles-check.ts')).mtimeMs,
    );
    const built = existsSync(script)
      ? Math.max(
          statSync(script).mtimeMs,
          newest(join(root, 'dist/libs/profiles/src'), (n) => n.endsWith('.js')),
        )
      : 0;
    if (built < sources) {
      const build = spawnSync(process.execPath, ['scripts/build.js'], {
        cwd: root,
        encoding: 'utf8',
        timeout: 170_000,
      });
      if (build.status !== 0)
        throw new Error(`npm run build failed:\n${build.stdout}\n${build.stderr}`);
    }
    dir = await mkdtemp(join(tmpdir(), 'profiles-check-'));
    await cp(join(root, 'device-profiles'), dir, { recursive: true });
  }, 180_000);

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('passes on the shipped profiles and their vectors', async () => {
    const r = await run([], root);
    expect(r.stdout.trim()).toBe('OK: 6 profiles, 6 vector files checked; 0 errors, 0 warnings');
    expect(r.code).toBe(0);
  });

  it('prints every error of a broken copy as file: path: reason and exits 1', async () => {
    const meter = join(dir, 'eastron-sdm630.yaml');
    await writeFile(
      meter,
      (await readFile(meter, 'utf8')).replace(
        'address: 0x0000\n    type: float32\n    unit: V',
        'address: 70000\n    type: float32\n    unit: V',
      ),
    );
    const light = join(dir, 'streetlight-controller.yaml');
    await writeFile(
      light,
      (await readFile(light, 'utf8')).replace('    max: 100\n', '    max: 100\n    scael: 2\n'),
    );
    const vectors = join(dir, 'vectors/eastron-sdm120.yaml');
    await writeFile(
      vectors,
      (await readFile(vectors, 'utf8')).replace('frequency: 50.01', 'frequency: 50.1'),
    );
    await rm(join(dir, 'vectors/gpio-relay-board.yaml'));

    const r = await run(['.'], dir);
    expect(r.code).toBe(1);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toEqual([
      'vectors/eastron-sdm120.yaml: readings.0.expect.frequency: decoded 50.0099983215332, expected 50.1',
      'eastron-sdm630.yaml: points.voltage_l{i}.address: must be 0..65535 (got 70000)',
      'streetlight-controller.yaml: points.dim_level.scael: unknown property (did you mean "scale"?)',
      'warning: vectors/gpio-relay-board.yaml: missing: gpio-relay-board has no golden vectors',
      'FAILED: 6 profiles, 3 vector files checked; 3 errors, 1 warning',
    ]);
  });

  it('checks single files given as arguments and reports paths that do not exist', async () => {
    const ok = await run([join(root, 'device-profiles/pelco-d-camera.yaml')], root);
    expect(ok.stdout.trim()).toBe('OK: 1 profile, 1 vector file checked; 0 errors, 0 warnings');
    expect(ok.code).toBe(0);
    const missing = await run(['nope.yaml'], dir);
    expect(missing.stdout.trim().split('\n')).toEqual([
      'nope.yaml: no such file or directory',
      'FAILED: 0 profiles, 0 vector files checked; 1 error, 0 warnings',
    ]);
    expect(missing.code).toBe(1);
  });
});
