import { randomBytes } from 'node:crypto';
import {
  cp,
  lstat,
  mkdir,
  readdir,
  readFile,
  readlink,
  rename,
  rm,
  writeFile,
} from 'node:fs/promises';
import { basename, dirname, join, posix, resolve, sep } from 'node:path';
import { create as tarCreate, extract as tarExtract, list as tarList, type ReadEntry } from 'tar';
import { valid as validSemver } from 'semver';
import { fsyncDir } from './atomic-file.js';
import { FirmwareError, FirmwareErrorCode, type FieldIssue } from './firmware-error.js';

/** `bundle.json` at the root of an agent release bundle. */
export interface BundleInfo {
  readonly version: string;
  /** Path of the script `node` runs, relative to the bundle root, e.g. `main.js`. */
  readonly entry: string;
}

export const BUNDLE_INFO_FILE = 'bundle.json';

export interface UnpackLimits {
  /** Default 50,000 entries. */
  readonly maxEntries?: number;
  /** Sum of file sizes; default 2 GiB. */
  readonly maxBytes?: number;
}

const FILE_TYPES = new Set(['File', 'OldFile', 'ContiguousFile']);
const FIXED_MTIME = new Date('2000-01-01T00:00:00.000Z');

/**
 * Packs `dir` into a gzipped tar with a generated `bundle.json` ({ version, entry }) at its root.
 * Files are sorted and mtimes fixed so the same tree gives the same bytes. Symlinks must stay
 * inside `dir`; devices, sockets and FIFOs are refused. Written to a temp file, then renamed.
 */
export async function packAgentBundle(
  dir: string,
  version: string,
  out: string,
  options: { entry?: string } = {},
): Promise<BundleInfo> {
  const info: BundleInfo = { version, entry: options.entry ?? 'main.js' };
  const issues = bundleInfoIssues(info);
  if (issues.length > 0)
    throw FirmwareError.fromIssues(
      FirmwareErrorCode.INVALID_ARGUMENT,
      'cannot pack bundle',
      issues,
    );
  const root = resolve(dir);
  const rootStat = await lstat(root).catch(() => undefined);
  if (!rootStat?.isDirectory())
    throw new FirmwareError(FirmwareErrorCode.INVALID_ARGUMENT, `--dir ${dir}: not a directory`);
  const entryStat = await lstat(join(root, info.entry)).catch(() => undefined);
  if (!entryStat?.isFile())
    throw new FirmwareError(
      FirmwareErrorCode.INVALID_ARGUMENT,
      `entry ${info.entry}: no such regular file in ${dir}`,
    );
  const files = await walk(root);

  const outPath = resolve(out);
  if (outPath === root || outPath.startsWith(root + sep))
    throw new FirmwareError(
      FirmwareErrorCode.INVALID_ARGUMENT,
      `--out ${out}: must be outside the bundled directory`,
    );
  const suffix = randomBytes(4).toString('hex');
  const staging = join(dirname(outPath), `.${basename(outPath)}.${suffix}.staging`);
  const tmpOut = join(dirname(outPath), `.${basename(outPath)}.${suffix}.tmp`);
  try {
    await cp(root, staging, {
      recursive: true,
      verbatimSymlinks: true,
      filter: (src) => resolve(src) !== join(root, BUNDLE_INFO_FILE),
    });
    await writeFile(join(staging, BUNDLE_INFO_FILE), `${JSON.stringify(info, null, 2)}\n`);
    const entries = [BUNDLE_INFO_FILE, ...files.filter((f) => f !== BUNDLE_INFO_FILE)];
    await tarCreate(
      {
        file: tmpOut,
        cwd: staging,
        gzip: { portable: true },
        portable: true,
        noDirRecurse: true,
        mtime: FIXED_MTIME,
      },
      entries,
    );
    await rename(tmpOut, outPath);
    await fsyncDir(dirname(outPath));
  } finally {
    await rm(staging, { recursive: true, force: true });
    await rm(tmpOut, { force: true });
  }
  return info;
}

/** Relative paths (posix) of everything under root, sorted, directories before their contents. */
async function walk(root: string): Promise<string[]> {
  const out: string[] = [];
  const visit = async (rel: string): Promise<void> => {
    const names = (await readdir(join(root, rel))).sort();
    for (const name of names) {
      const childRel = rel ? `${rel}/${name}` : name;
      const abs = join(root, childRel);
      const st = await lstat(abs);
      if (st.isSymbolicLink()) {
        const target = await readlink(abs);
        const reason = symlinkProblem(childRel, target);
        if (reason)
          throw new FirmwareError(FirmwareErrorCode.UNSAFE_BUNDLE, `${childRel}: ${reason}`);
        out.push(childRel);
      } else if (st.isDirectory()) {
        out.push(childRel);
        await visit(childRel);
      } else if (st.isFile()) {
        out.push(childRel);
      } else {
        throw new FirmwareError(
          FirmwareErrorCode.UNSAFE_BUNDLE,
          `${childRel}: only regular files, directories and symlinks can be bundled`,
        );
      }
    }
  };
  await visit('');
  return out;
}

/**
 * Unpacks an agent bundle into `destDir` (which must not exist yet) after checking every entry:
 * no absolute paths, no `..`, no hard links or device files, symlinks only to places inside the
 * bundle, nothing written through a symlink, no duplicates. Any violation refuses the whole
 * bundle before a byte is written. Returns the validated `bundle.json`.
 */
export async function unpackAgentBundle(
  archive: string,
  destDir: string,
  limits: UnpackLimits = {},
  hooks: { onEntry?: (path: string) => void } = {},
): Promise<BundleInfo> {
  const inspected = await inspectArchive(archive, limits);
  const dest = resolve(destDir);
  await mkdir(dirname(dest), { recursive: true });
  await mkdir(dest); // throws EEXIST: never unpack over something
  try {
    await tarExtract({
      file: archive,
      cwd: dest,
      strict: true,
      preservePaths: false,
      preserveOwner: false,
      unlink: true,
      filter: (path) => inspected.paths.has(normalizeEntryPath(path) ?? ''),
      onReadEntry: (entry: ReadEntry) => hooks.onEntry?.(entry.path),
    });
    return await readBundleInfo(dest);
  } catch (error) {
    await rm(dest, { recursive: true, force: true });
    if (error instanceof FirmwareError) throw error;
    throw new FirmwareError(
      FirmwareErrorCode.INVALID_BUNDLE,
      `bundle ${archive} could not be unpacked: ${(error as Error).message}`,
      {},
      { cause: error },
    );
  }
}

/** Reads and validates `<dir>/bundle.json`, and checks its entry is a regular file in `dir`. */
export async function readBundleInfo(dir: string): Promise<BundleInfo> {
  let raw: string;
  try {
    raw = await readFile(join(dir, BUNDLE_INFO_FILE), 'utf8');
  } catch (cause) {
    throw new FirmwareError(
      FirmwareErrorCode.INVALID_BUNDLE,
      `bundle has no readable ${BUNDLE_INFO_FILE} at its root`,
      {},
      { cause },
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (cause) {
    throw new FirmwareError(
      FirmwareErrorCode.INVALID_BUNDLE,
      `${BUNDLE_INFO_FILE} is not valid JSON`,
      {},
      { cause },
    );
  }
  const issues = bundleInfoIssues(parsed);
  if (issues.length > 0)
    throw FirmwareError.fromIssues(
      FirmwareErrorCode.INVALID_BUNDLE,
      `invalid ${BUNDLE_INFO_FILE}`,
      issues,
    );
  const info = parsed as BundleInfo;
  const entryStat = await lstat(join(dir, info.entry)).catch(() => undefined);
  if (!entryStat?.isFile())
    throw new FirmwareError(
      FirmwareErrorCode.INVALID_BUNDLE,
      `${BUNDLE_INFO_FILE}.entry: ${info.entry} is not a regular file in the bundle`,
    );
  return { version: info.version, entry: info.entry };
}

function bundleInfoIssues(input: unknown): FieldIssue[] {
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    return [{ field: BUNDLE_INFO_FILE, reason: 'must be a JSON object { version, entry }' }];
  const o = input as Record<string, unknown>;
  const issues: FieldIssue[] = [];
  for (const key of Object.keys(o))
    if (key !== 'version' && key !== 'entry')
      issues.push({ field: key, reason: 'is not a bundle field' });
  if (typeof o.version !== 'string' || validSemver(o.version) !== o.version)
    issues.push({ field: 'version', reason: 'must be a semantic version such as 1.4.0' });
  if (typeof o.entry !== 'string' || normalizeEntryPath(o.entry) !== o.entry || o.entry === '')
    issues.push({
      field: 'entry',
      reason: 'must be a plain relative path inside the bundle, e.g. main.js or dist/main.js',
    });
  return issues;
}

/** `a/./b/` → `a/b`; undefined for absolute paths, `..` segments, backslashes or NUL. */
function normalizeEntryPath(path: string): string | undefined {
  if (path.includes('\0') || path.includes('\\')) return undefined;
  if (path.startsWith('/') || /^[A-Za-z]:/.test(path)) return undefined;
  const parts = path.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) return undefined;
  return parts.join('/');
}

function symlinkProblem(linkPath: string, target: string): string | undefined {
  if (target.startsWith('/') || target.includes('\\') || target.includes('\0'))
    return `symlink to ${target} (absolute targets are refused)`;
  const resolved = posix.normalize(posix.join(posix.dirname(linkPath), target));
  if (resolved === '..' || resolved.startsWith('../') || posix.isAbsolute(resolved))
    return `symlink to ${target} leaves the bundle`;
  return undefined;
}

interface InspectedArchive {
  readonly paths: Set<string>;
}

async function inspectArchive(archive: string, limits: UnpackLimits): Promise<InspectedArchive> {
  const maxEntries = limits.maxEntries ?? 50_000;
  const maxBytes = limits.maxBytes ?? 2 * 1024 ** 3;
  const problems: string[] = [];
  const paths = new Set<string>();
  const symlinks: string[] = [];
  let bytes = 0;
  let count = 0;
  try {
    await tarList({
      file: archive,
      strict: true,
      onReadEntry: (entry: ReadEntry) => {
        count++;
        const raw = entry.path;
        const path = normalizeEntryPath(raw);
        if (path === undefined) {
          problems.push(`${raw}: absolute or parent-relative path`);
          return;
        }
        if (path === '') return; // "./" itself
        if (paths.has(path)) problems.push(`${path}: appears twice`);
        if (symlinks.some((s) => path.startsWith(`${s}/`)))
          problems.push(`${path}: would be written through a symlink`);
        if (entry.type === 'SymbolicLink') {
          const reason = symlinkProblem(path, entry.linkpath ?? '');
          if (reason) problems.push(`${path}: ${reason}`);
          symlinks.push(path);
        } else if (entry.type === 'Link') {
          problems.push(`${path}: hard links are refused`);
        } else if (FILE_TYPES.has(entry.type)) {
          bytes += entry.size;
        } else if (entry.type !== 'Directory') {
          problems.push(`${path}: ${entry.type} entries are refused`);
        }
        paths.add(path);
      },
    });
  } catch (cause) {
    throw new FirmwareError(
      FirmwareErrorCode.INVALID_BUNDLE,
      `${archive} is not a readable .tar.gz: ${(cause as Error).message}`,
      {},
      { cause },
    );
  }
  if (count > maxEntries) problems.push(`more than ${maxEntries} entries`);
  if (bytes > maxBytes) problems.push(`more than ${maxBytes} bytes of files`);
  if (!paths.has(BUNDLE_INFO_FILE)) problems.push(`no ${BUNDLE_INFO_FILE} at the root`);
  if (problems.length > 0) {
    const shown = problems.slice(0, 10).join('; ');
    const more = problems.length > 10 ? ` (and ${problems.length - 10} more)` : '';
    throw new FirmwareError(FirmwareErrorCode.UNSAFE_BUNDLE, `bundle refused: ${shown}${more}`, {
      problems,
    });
  }
  return { paths };
}
