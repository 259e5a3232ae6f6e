import { open, readFile, rm } from 'node:fs/promises';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  digestFile,
  FirmwareError,
  FirmwareErrorCode,
  generateReleaseKey,
  packAgentBundle,
  signManifest,
  trustedKey,
  verifyArtifactFile,
  verifySignedManifest,
  writeFileAtomic,
  type ArtifactKind,
  type FirmwareManifest,
  type SignedManifest,
} from '@fleet/firmware';

export interface KeygenResult {
  readonly keyId: string;
  readonly privateKeyFile: string;
  readonly publicKeyFile: string;
  readonly publicKeyPem: string;
}

/** Writes `<keyId>.key` (0600) and `<keyId>.pub` into `outDir`; never overwrites. */
export async function keygen(outDir: string): Promise<KeygenResult> {
  const key = generateReleaseKey();
  await mkdir(outDir, { recursive: true, mode: 0o700 });
  const privateKeyFile = join(outDir, `${key.keyId}.key`);
  const publicKeyFile = join(outDir, `${key.keyId}.pub`);
  await writeNew(privateKeyFile, key.privateKeyPem, 0o600);
  try {
    await writeNew(publicKeyFile, key.publicKeyPem, 0o644);
  } catch (error) {
    await rm(privateKeyFile, { force: true });
    throw error;
  }
  return { keyId: key.keyId, privateKeyFile, publicKeyFile, publicKeyPem: key.publicKeyPem };
}

export interface SignInput {
  readonly key: string;
  readonly artifact: string;
  readonly version: string;
  readonly models: readonly string[];
  readonly hardwareRevisions?: readonly string[];
  readonly minVersion?: string;
  readonly notes: string;
  readonly kind: string;
  readonly out?: string;
  readonly force?: boolean;
  readonly now?: Date;
}

/** Hashes the artifact (streaming), builds and signs its manifest, writes the envelope JSON. */
export async function sign(input: SignInput): Promise<{ file: string; envelope: SignedManifest }> {
  const privateKeyPem = await readText(input.key, '--key');
  const digest = await digestFile(input.artifact).catch((error: unknown) => {
    throw cliError(`--artifact ${input.artifact}: ${reasonOf(error)}`);
  });
  const manifest = {
    version: input.version,
    kind: input.kind as ArtifactKind,
    models: [...input.models],
    ...(input.hardwareRevisions ? { hardwareRevisions: [...input.hardwareRevisions] } : {}),
    ...(input.minVersion !== undefined ? { minVersion: input.minVersion } : {}),
    sha256: digest.sha256,
    size: digest.size,
    releaseNotes: input.notes,
    createdAt: (input.now ?? new Date()).toISOString(),
  } satisfies FirmwareManifest;
  const envelope = renameFields(() => signManifest(manifest, privateKeyPem));
  const file = input.out ?? `${input.artifact}.manifest.json`;
  if (!input.force && (await exists(file)))
    throw cliError(`--out ${file}: already exists (use --force to replace it)`);
  await writeFileAtomic(file, `${JSON.stringify(envelope, null, 2)}\n`);
  return { file, envelope };
}

export interface VerifyInput {
  readonly manifest: string;
  readonly artifact: string;
  readonly pubkeys: readonly string[];
  readonly revoked?: readonly string[];
}

/** Checks the envelope's signature against the given public keys, then the artifact's size and hash. */
export async function verify(
  input: VerifyInput,
): Promise<{ manifest: FirmwareManifest; keyId: string }> {
  const text = await readText(input.manifest, '--manifest');
  let envelope: unknown;
  try {
    envelope = JSON.parse(text);
  } catch {
    throw cliError(`--manifest ${input.manifest}: not valid JSON`);
  }
  const revoked = new Set(input.revoked ?? []);
  const keys = [];
  for (const file of input.pubkeys) {
    const pem = await readText(file, '--pubkey');
    const key = trustedKey(pem);
    keys.push({ ...key, revoked: revoked.has(key.keyId) });
  }
  const verified = verifySignedManifest(envelope, keys);
  await verifyArtifactFile(input.artifact, verified.manifest).catch((error: unknown) => {
    if (error instanceof FirmwareError) throw error;
    throw cliError(`--artifact ${input.artifact}: ${reasonOf(error)}`);
  });
  return verified;
}

/** Packs an agent release bundle and reports its digest (what `sign` will put in the manifest). */
export async function bundle(input: {
  dir: string;
  version: string;
  out: string;
  entry?: string;
}): Promise<{ file: string; version: string; entry: string; sha256: string; size: number }> {
  const info = await packAgentBundle(input.dir, input.version, input.out, {
    ...(input.entry ? { entry: input.entry } : {}),
  });
  const digest = await digestFile(input.out);
  return { file: input.out, ...info, ...digest };
}

/** Splits `a,b , c` into ['a', 'b', 'c']. */
export function list(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

const FLAG_OF: Record<string, string> = {
  'manifest.version': '--version',
  'manifest.kind': '--kind',
  'manifest.models': '--models',
  'manifest.hardwareRevisions': '--hardware-revisions',
  'manifest.minVersion': '--min-version',
  'manifest.releaseNotes': '--notes',
};

// Manifest field errors are reported under the flag the user typed.
function renameFields<T>(run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (!FirmwareError.is(error, FirmwareErrorCode.INVALID_MANIFEST)) throw error;
    const issues = (error.details.issues ?? []).map((i) => ({
      field: FLAG_OF[i.field] ?? i.field,
      reason: i.reason,
    }));
    throw FirmwareError.fromIssues(FirmwareErrorCode.INVALID_MANIFEST, 'cannot sign', issues);
  }
}

async function writeNew(file: string, data: string, mode: number): Promise<void> {
  let handle;
  try {
    handle = await open(file, 'wx', mode);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST')
      throw cliError(`${file} already exists; refusing to overwrite a key`);
    throw error;
  }
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function readText(file: string, flag: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw cliError(`${flag} ${file}: ${reasonOf(error)}`);
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await (await open(file, 'r')).close();
    return true;
  } catch {
    return false;
  }
}

function reasonOf(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES') return 'permission denied';
  if (code === 'EISDIR') return 'is a directory';
  return (error as Error).message;
}

function cliError(message: string): FirmwareError {
  return new FirmwareError(FirmwareErrorCode.INVALID_ARGUMENT, message);
}
