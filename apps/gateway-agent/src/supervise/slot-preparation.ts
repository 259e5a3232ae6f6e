import { lstat, readlink, rename, rm, stat, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { AbSlotInstaller, InstallerStatus } from '@fleet/firmware';
import { buildAgentBundle } from './agent-bundle.builder.js';

/**
 * `<slotsDir>/node_modules` → the installation's `node_modules`: Node resolves a slot's bare imports
 * (mqtt, serialport, ...) by walking up from the slot, so both slots find the packages (and the
 * native modules built for this machine) there. Replaced atomically when it points elsewhere.
 */
export async function linkSharedNodeModules(
  slotsDir: string,
  installationRoot: string,
): Promise<{ link: string; target: string }> {
  const target = join(installationRoot, 'node_modules');
  const link = join(slotsDir, 'node_modules');
  if (!(await stat(target).catch(() => undefined))?.isDirectory())
    throw new Error(`${target} is missing: run npm ci in ${installationRoot}`);
  const current = await lstat(link).catch(() => undefined);
  if (current?.isSymbolicLink() && (await readlink(link)) === target) return { link, target };
  if (current && !current.isSymbolicLink())
    throw new Error(`${link} exists and is not a symlink; move it away`);
  const tmp = `${link}.${randomBytes(4).toString('hex')}.tmp`;
  await symlink(target, tmp, 'dir');
  try {
    await rename(tmp, link);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
  return { link, target };
}

/**
 * First start of `gateway-agent supervise`: packs the installation the supervisor runs from into
 * slot `a` and commits it, so there is always a committed slot to fall back to. Does nothing once
 * a slot is committed; returns the status and whether it seeded.
 */
export async function seedSlotsFromInstallation(
  installer: AbSlotInstaller,
  installationRoot: string,
  version: string,
): Promise<{ seeded: boolean; status: InstallerStatus }> {
  const before = await installer.status();
  if (before.committed) return { seeded: false, status: before };
  const bundle = join(installer.slotsDir, `.seed-${randomBytes(4).toString('hex')}.tar.gz`);
  try {
    await buildAgentBundle({ root: installationRoot, version, out: bundle });
    return { seeded: true, status: await installer.seed(bundle) };
  } finally {
    await rm(bundle, { force: true });
  }
}
