import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { packageRoot } from '@fleet/common';
import { checkProfileSource } from './profile-parser.js';
import type { ProfileIssue } from './profile-issue.js';
import { ProfileNotFoundError } from './profile-not-found.error.js';
import { ProfileValidationError } from './profile-validation.error.js';
import type { DeviceProfile } from './profile.types.js';

/** The loaded, validated profiles of one directory, by id. */
export class ProfileCatalog {
  private readonly byId: ReadonlyMap<string, DeviceProfile>;

  constructor(
    profiles: readonly DeviceProfile[],
    /** Warnings found while loading (errors prevent a catalog from being built). */
    readonly warnings: readonly ProfileIssue[] = [],
  ) {
    this.byId = new Map(profiles.map((p) => [p.id, p]));
  }

  /** Throws ProfileNotFoundError (code PROFILE_NOT_FOUND) for an unknown id. */
  get(id: string): DeviceProfile {
    const p = this.byId.get(id);
    if (!p) throw new ProfileNotFoundError(id, [...this.byId.keys()].sort());
    return p;
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  /** Every profile, sorted by id. */
  list(): DeviceProfile[] {
    return [...this.byId.values()].sort((a, b) => a.id.localeCompare(b.id));
  }
}

export function defaultProfilesDir(): string {
  return join(packageRoot(), 'device-profiles');
}

/**
 * Loads every `*.yaml` profile in `dir` (default `<packageRoot>/device-profiles`). Any error in any
 * file fails the whole load with one ProfileValidationError listing all of them, each naming its file.
 */
export async function loadProfileCatalog(
  dir: string = defaultProfilesDir(),
): Promise<ProfileCatalog> {
  const entries = await readdir(dir, { withFileTypes: true }).catch((e: unknown) => {
    const reason = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such directory' : String(e);
    throw new ProfileValidationError([{ file: dir, path: '', message: reason, severity: 'error' }]);
  });
  const files = entries
    .filter((e) => e.isFile() && /\.ya?ml$/i.test(e.name))
    .map((e) => e.name)
    .sort();
  const profiles: DeviceProfile[] = [];
  const issues: ProfileIssue[] = [];
  for (const file of files) {
    const result = checkProfileSource(file, await readFile(join(dir, file), 'utf8'));
    issues.push(...result.issues);
    const clash = result.profile && profiles.find((p) => p.id === result.profile?.id);
    if (clash) {
      issues.push({
        file,
        path: 'id',
        message: `"${clash.id}" is also defined by ${clash.source}`,
        severity: 'error',
      });
    } else if (result.profile) {
      profiles.push(result.profile);
    }
  }
  if (issues.some((i) => i.severity === 'error')) throw new ProfileValidationError(issues);
  return new ProfileCatalog(profiles, issues);
}
