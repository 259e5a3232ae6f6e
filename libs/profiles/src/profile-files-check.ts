import { existsSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, join, relative } from 'node:path';
import { checkProfileSource } from './profile-parser.js';
import type { ProfileIssue } from './profile-issue.js';
import { checkVectorsSource } from './profile-vectors.js';
import type { DeviceProfile } from './profile.types.js';

export interface ProfileFilesReport {
  issues: ProfileIssue[];
  profiles: number;
  vectorFiles: number;
}

const isYaml = (name: string): boolean => /\.ya?ml$/i.test(name);

async function profileFiles(path: string): Promise<string[]> {
  const s = await stat(path);
  if (s.isFile()) return [path];
  const entries = await readdir(path, { withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && isYaml(e.name))
    .map((e) => join(path, e.name))
    .sort();
}

/**
 * Validates profile files (and the golden vectors beside them, `vectors/<id>.yaml`): every error
 * and warning of every file, labelled with its path relative to `cwd`. Directories are scanned for
 * *.yaml; missing paths are reported as errors.
 */
export async function checkProfileFiles(
  paths: readonly string[],
  cwd = process.cwd(),
): Promise<ProfileFilesReport> {
  const issues: ProfileIssue[] = [];
  const label = (p: string): string => relative(cwd, p) || basename(p);
  let profiles = 0;
  let vectorFiles = 0;
  const seen = new Map<string, string>();
  for (const path of paths) {
    if (!existsSync(path)) {
      issues.push({
        file: label(path),
        path: '',
        message: 'no such file or directory',
        severity: 'error',
      });
      continue;
    }
    for (const file of await profileFiles(path)) {
      profiles++;
      const name = label(file);
      const result = checkProfileSource(name, await readFile(file, 'utf8'));
      issues.push(...result.issues);
      const profile: DeviceProfile | undefined = result.profile;
      if (!profile) continue;
      const other = seen.get(profile.id);
      if (other !== undefined) {
        issues.push({
          file: name,
          path: 'id',
          message: `"${profile.id}" is also defined by ${other}`,
          severity: 'error',
        });
      }
      seen.set(profile.id, name);
      const vectors = join(dirname(file), 'vectors', `${profile.id}.yaml`);
      if (!existsSync(vectors)) {
        issues.push({
          file: label(vectors),
          path: '',
          message: `missing: ${profile.id} has no golden vectors`,
          severity: 'warning',
        });
        continue;
      }
      vectorFiles++;
      const v = checkVectorsSource(profile, label(vectors), await readFile(vectors, 'utf8'));
      issues.push(...v.issues);
      if (v.issues.some((i) => i.severity === 'error')) continue;
      const uncovered = [
        ...new Set(
          profile.points.filter((p) => p.access !== 'w').map((p) => p.instance?.template ?? p.name),
        ),
      ].filter((t) => !v.coveredPoints.has(t));
      if (uncovered.length > 0) {
        issues.push({
          file: label(vectors),
          path: 'readings',
          message: `no reading decodes ${uncovered.join(', ')}`,
          severity: 'warning',
        });
      }
      const idle = profile.commands.map((c) => c.name).filter((c) => !v.coveredCommands.has(c));
      if (idle.length > 0) {
        issues.push({
          file: label(vectors),
          path: 'commands',
          message: `no vector runs ${idle.join(', ')}`,
          severity: 'warning',
        });
      }
    }
  }
  return { issues, profiles, vectorFiles };
}
