import { spawnSync } from 'node:child_process';
import {
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  readlink,
  rm,
  symlink,
  utimes,
  link,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create as tarCreate } from 'tar';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  digestFile,
  FirmwareError,
  FirmwareErrorCode,
  packAgentBundle,
  unpackAgentBundle,
} from '@fleet/firmware';

let work: string;

beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'fw-bundle-'));
});

afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

async function agentTree(name = 'src'): Promise<string> {
  const src = join(work, name);
  await mkdir(join(src, 'lib', 'node_modules', 'dep'), { recursive: true });
  await writeFile(join(src, 'main.js'), 'console.log("agent");\n');
  await writeFile(join(src, 'lib', 'node_modules', 'dep', 'index.js'), 'export default 1;\n');
  await symlink('node_modules/dep/index.js', join(src, 'lib', 'dep.js'));
  return src;
}

/** Writes a gzipped tar from `cwd` holding exactly `entries`, keeping `..` and absolute paths as given. */
async function rawTar(cwd: string, entries: string[], out: string): Promise<string> {
  await tarCreate({ file: out, cwd, gzip: true, preservePaths: true, portable: true }, entries);
  return out;
}

async function refusal(promise: Promise<unknown>): Promise<FirmwareError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof FirmwareError) return error;
    throw error;
  }
  throw new Error('expected the bundle to be refused');
}

describe('agent bundles', () => {
  it('packs with a generated bundle.json and unpacks the same tree, symlinks inside the bundle kept', async () => {
    const src = await agentTree();
    const out = join(work, 'agent-1.2.0.tar.gz');
    expect(await packAgentBundle(src, '1.2.0', out)).toEqual({
      version: '1.2.0',
      entry: 'main.js',
    });
    const dest = join(work, 'slot');
    expect(await unpackAgentBundle(out, dest)).toEqual({ version: '1.2.0', entry: 'main.js' });
    expect(JSON.parse(await readFile(join(dest, 'bundle.json'), 'utf8'))).toEqual({
      version: '1.2.0',
      entry: 'main.js',
    });
    expect(await readFile(join(dest, 'main.js'), 'utf8')).toBe('console.log("agent");\n');
    expect(await readlink(join(dest, 'lib', 'dep.js'))).toBe('node_modules/dep/index.js');
  });

  it('is reproducible: the same tree packs to the same bytes', async () => {
    const src = await agentTree();
    await packAgentBundle(src, '1.2.0', join(work, 'a.tar.gz'));
    // Same content, other timestamps: the archive must not change.
    await utimes(join(src, 'main.js'), new Date('2031-01-01'), new Date('2031-01-01'));
    await packAgentBundle(src, '1.2.0', join(work, 'b.tar.gz'));
    expect((await digestFile(join(work, 'a.tar.gz'))).sha256).toBe(
      (await digestFile(join(work, 'b.tar.gz'))).sha256,
    );
  });

  it('refuses to pack a missing entry, a bad version or a symlink leaving the tree', async () => {
    const src = await agentTree();
    const out = join(work, 'x.tar.gz');
    expect(
      (await refusal(packAgentBundle(src, '1.2.0', out, { entry: 'start.js' }))).message,
    ).toMatch(/entry start\.js: no such regular file/);
    expect((await refusal(packAgentBundle(src, 'v1', out))).message).toMatch(
      /version: must be a semantic version/,
    );
    expect(
      (await refusal(packAgentBundle(src, '1.2.0', out, { entry: '../main.js' }))).message,
    ).toMatch(/entry: must be a plain relative path/);
    await symlink('/etc/passwd', join(src, 'passwd'));
    const error = await refusal(packAgentBundle(src, '1.2.0', out));
    expect(error.code).toBe(FirmwareErrorCode.UNSAFE_BUNDLE);
    expect(error.message).toMatch(/passwd: symlink to \/etc\/passwd/);
    expect(await readdir(work)).toEqual(['src']);
  });

  describe('unpack refuses hostile archives before writing anything', () => {
    async function expectRefused(archive: string, pattern: RegExp): Promise<void> {
      const dest = join(work, 'slot');
      const error = await refusal(unpackAgentBundle(archive, dest));
      expect(error.code).toBe(FirmwareErrorCode.UNSAFE_BUNDLE);
      expect(error.message).toMatch(pattern);
      expect(await readdir(work)).not.toContain('slot');
    }

    it('path traversal with ..', async () => {
      const inner = join(work, 'inner');
      await mkdir(inner);
      await writeFile(
        join(inner, 'bundle.json'),
        JSON.stringify({ version: '1.0.0', entry: 'bundle.json' }),
      );
      await writeFile(join(work, 'evil.txt'), 'owned');
      const archive = await rawTar(inner, ['bundle.json', '../evil.txt'], join(work, 'a.tar.gz'));
      await rm(join(work, 'evil.txt'));
      await expectRefused(archive, /\.\.\/evil\.txt: absolute or parent-relative path/);
      expect(await readdir(work)).not.toContain('evil.txt');
    });

    it('absolute paths', async () => {
      const inner = join(work, 'inner');
      await mkdir(inner);
      await writeFile(
        join(inner, 'bundle.json'),
        JSON.stringify({ version: '1.0.0', entry: 'bundle.json' }),
      );
      const absolute = join(work, 'abs.txt');
      await writeFile(absolute, 'owned');
      const archive = await rawTar(inner, ['bundle.json', absolute], join(work, 'a.tar.gz'));
      await expectRefused(archive, /abs\.txt: absolute or parent-relative path/);
    });

    it('symlinks pointing out of the slot, and files written through a symlink', async () => {
      const inner = join(work, 'inner');
      await mkdir(join(inner, 'real'), { recursive: true });
      await writeFile(
        join(inner, 'bundle.json'),
        JSON.stringify({ version: '1.0.0', entry: 'bundle.json' }),
      );
      await symlink('../../etc', join(inner, 'up'));
      await symlink('/etc/passwd', join(inner, 'abs'));
      const escaping = await rawTar(inner, ['bundle.json', 'up', 'abs'], join(work, 'a.tar.gz'));
      await expectRefused(
        escaping,
        /up: symlink to \.\.\/\.\.\/etc leaves the bundle.*abs: symlink to \/etc\/passwd/,
      );

      await symlink('real', join(inner, 'via'));
      await writeFile(join(inner, 'real', 'x.js'), '1');
      const through = await rawTar(
        inner,
        ['bundle.json', 'via', 'via/x.js'],
        join(work, 'b.tar.gz'),
      );
      await expectRefused(through, /via\/x\.js: would be written through a symlink/);
    });

    it('hard links', async () => {
      const inner = join(work, 'inner');
      await mkdir(inner);
      await writeFile(
        join(inner, 'bundle.json'),
        JSON.stringify({ version: '1.0.0', entry: 'bundle.json' }),
      );
      await writeFile(join(inner, 'a.js'), '1');
      await link(join(inner, 'a.js'), join(inner, 'b.js'));
      // GNU tar always records the second name of a file as a hard-link entry.
      const archive = join(work, 'a.tar.gz');
      const r = spawnSync('tar', ['-czf', archive, '-C', inner, 'bundle.json', 'a.js', 'b.js']);
      expect(r.status).toBe(0);
      await expectRefused(archive, /b\.js: hard links are refused/);
    });

    it('no bundle.json, and a bundle.json pointing outside', async () => {
      const inner = join(work, 'inner');
      await mkdir(inner);
      await writeFile(join(inner, 'main.js'), '1');
      const missing = await rawTar(inner, ['main.js'], join(work, 'a.tar.gz'));
      await expectRefused(missing, /no bundle\.json at the root/);

      await writeFile(
        join(inner, 'bundle.json'),
        JSON.stringify({ version: '1.0.0', entry: '../main.js' }),
      );
      const outside = await rawTar(inner, ['bundle.json', 'main.js'], join(work, 'b.tar.gz'));
      const error = await refusal(unpackAgentBundle(outside, join(work, 'slot')));
      expect(error.code).toBe(FirmwareErrorCode.INVALID_BUNDLE);
      expect(error.message).toMatch(/entry: must be a plain relative path/);
      expect(await readdir(work)).not.toContain('slot');
    });

    it('something that is not a tar.gz at all', async () => {
      const junk = join(work, 'junk.tar.gz');
      await writeFile(junk, 'this is not an archive');
      const error = await refusal(unpackAgentBundle(junk, join(work, 'slot')));
      expect([FirmwareErrorCode.INVALID_BUNDLE, FirmwareErrorCode.UNSAFE_BUNDLE]).toContain(
        error.code,
      );
      expect(await readdir(work)).not.toContain('slot');
    });
  });

  it('never unpacks over an existing directory', async () => {
    const src = await agentTree();
    const out = join(work, 'agent.tar.gz');
    await packAgentBundle(src, '1.2.0', out);
    const dest = join(work, 'slot');
    await mkdir(dest);
    await writeFile(join(dest, 'keep.txt'), 'mine');
    await expect(unpackAgentBundle(out, dest)).rejects.toThrow(/EEXIST/);
    expect(await readFile(join(dest, 'keep.txt'), 'utf8')).toBe('mine');
  });
});
