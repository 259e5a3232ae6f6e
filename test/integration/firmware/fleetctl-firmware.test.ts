import { spawnSync } from 'node:child_process';
import {
  appendFile,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  stat,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unpackAgentBundle, verifySignedManifest, trustedKey } from '@fleet/firmware';
import { ensureFirmwareBuilt, firmwareCliPath } from '../../support/firmware/firmware-build.js';

// The firmware commands through the compiled CLI entry, as a release manager runs them.

let work: string;

function fleetctl(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [firmwareCliPath, 'firmware', ...args], {
    cwd: work,
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function keygen(dir: string): { keyId: string; key: string; pub: string } {
  const r = fleetctl('keygen', '--out', dir);
  expect(r.code, r.stderr).toBe(0);
  const keyId = /key id: ([0-9a-f]{16})/.exec(r.stdout)?.[1] ?? '';
  return { keyId, key: join(dir, `${keyId}.key`), pub: join(dir, `${keyId}.pub`) };
}

beforeAll(async () => {
  ensureFirmwareBuilt();
  work = await mkdtemp(join(tmpdir(), 'fw-cli-'));
}, 180_000);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('fleetctl firmware', () => {
  let release: { keyId: string; key: string; pub: string };
  let spare: { keyId: string; key: string; pub: string };
  let artifact: string;
  let manifestFile: string;

  it('keygen writes <keyId>.key (0600) and <keyId>.pub and prints the id and public key', async () => {
    release = keygen(join(work, 'keys'));
    spare = keygen(join(work, 'keys'));
    expect(release.keyId).toMatch(/^[0-9a-f]{16}$/);
    expect(spare.keyId).not.toBe(release.keyId);
    expect((await stat(release.key)).mode & 0o777).toBe(0o600);
    const pem = await readFile(release.pub, 'utf8');
    expect(pem).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    expect(trustedKey(pem).keyId).toBe(release.keyId);
    expect((await readdir(join(work, 'keys'))).sort()).toEqual(
      [
        `${release.keyId}.key`,
        `${release.keyId}.pub`,
        `${spare.keyId}.key`,
        `${spare.keyId}.pub`,
      ].sort(),
    );
  });

  it('bundle packs an agent directory', async () => {
    const src = join(work, 'agent');
    await mkdir(src, { recursive: true });
    await writeFile(join(src, 'main.js'), 'console.log(1);\n');
    artifact = join(work, 'agent-1.1.0.tar.gz');
    const r = fleetctl('bundle', '--dir', src, '--version', '1.1.0', '--out', artifact);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/version 1\.1\.0, entry main\.js/);
    expect(r.stdout).toMatch(/sha256 [0-9a-f]{64}, \d+ bytes/);
    expect(await unpackAgentBundle(artifact, join(work, 'unpacked'))).toEqual({
      version: '1.1.0',
      entry: 'main.js',
    });
  });

  it('sign writes <artifact>.manifest.json that verifies with the public key', async () => {
    const r = fleetctl(
      'sign',
      '--key',
      release.key,
      '--artifact',
      artifact,
      '--version',
      '1.1.0',
      '--models',
      'edge-gw-2, edge-gw-3',
      '--hardware-revisions',
      'rev-b',
      '--min-version',
      '1.0.0',
      '--notes',
      'Faster polling',
    );
    expect(r.code, r.stderr).toBe(0);
    manifestFile = `${artifact}.manifest.json`;
    expect(r.stdout).toContain(`manifest: ${manifestFile}`);
    const envelope = JSON.parse(await readFile(manifestFile, 'utf8')) as unknown;
    const verified = verifySignedManifest(envelope, [
      trustedKey(await readFile(release.pub, 'utf8')),
    ]);
    expect(verified.manifest).toMatchObject({
      version: '1.1.0',
      kind: 'agent-bundle',
      models: ['edge-gw-2', 'edge-gw-3'],
      hardwareRevisions: ['rev-b'],
      minVersion: '1.0.0',
      releaseNotes: 'Faster polling',
      size: (await stat(artifact)).size,
    });
  });

  it('sign refuses to overwrite a manifest unless --force', () => {
    const args = [
      'sign',
      '--key',
      release.key,
      '--artifact',
      artifact,
      '--version',
      '1.1.0',
      '--models',
      'edge-gw-2',
    ];
    const again = fleetctl(...args);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already exists \(use --force to replace it\)/);
    expect(fleetctl(...args, '--force').code).toBe(0);
  });

  it('verify accepts the release with any list of trusted keys that holds its key', () => {
    const r = fleetctl(
      'verify',
      '--manifest',
      manifestFile,
      '--artifact',
      artifact,
      '--pubkey',
      spare.pub,
      release.pub,
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      new RegExp(`OK: agent-bundle 1\\.1\\.0 for edge-gw-2, signed by ${release.keyId}`),
    );
  });

  it('verify names what is wrong and exits 1', async () => {
    const unknown = fleetctl(
      'verify',
      '--manifest',
      manifestFile,
      '--artifact',
      artifact,
      '--pubkey',
      spare.pub,
    );
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/error: UNKNOWN_KEY: .*not a trusted release key/);

    const revoked = fleetctl(
      'verify',
      '--manifest',
      manifestFile,
      '--artifact',
      artifact,
      '--pubkey',
      release.pub,
      '--revoked',
      release.keyId,
    );
    expect(revoked.stderr).toMatch(/error: REVOKED_KEY/);

    const edited = join(work, 'edited.manifest.json');
    const envelope = JSON.parse(await readFile(manifestFile, 'utf8')) as {
      manifest: { models: string[] };
    };
    envelope.manifest.models = ['edge-gw-9'];
    await writeFile(edited, JSON.stringify(envelope));
    const badSig = fleetctl(
      'verify',
      '--manifest',
      edited,
      '--artifact',
      artifact,
      '--pubkey',
      release.pub,
    );
    expect(badSig.stderr).toMatch(/error: BAD_SIGNATURE: signature does not verify/);

    const tampered = join(work, 'tampered.tar.gz');
    const bytes = await readFile(artifact);
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 1;
    await writeFile(tampered, bytes);
    const hash = fleetctl(
      'verify',
      '--manifest',
      manifestFile,
      '--artifact',
      tampered,
      '--pubkey',
      release.pub,
    );
    expect(hash.code).toBe(1);
    expect(hash.stderr).toMatch(
      /error: HASH_MISMATCH: artifact SHA-256 is [0-9a-f]{64}, the manifest says/,
    );

    await appendFile(tampered, 'x');
    const size = fleetctl(
      'verify',
      '--manifest',
      manifestFile,
      '--artifact',
      tampered,
      '--pubkey',
      release.pub,
    );
    expect(size.stderr).toMatch(/error: SIZE_MISMATCH/);

    const missing = fleetctl(
      'verify',
      '--manifest',
      join(work, 'nope.json'),
      '--artifact',
      artifact,
      '--pubkey',
      release.pub,
    );
    expect(missing.stderr).toMatch(/--manifest .*nope\.json: no such file/);
  });

  it('sign reports bad input by flag, and writes nothing', async () => {
    const out = join(work, 'never.json');
    const bad = fleetctl(
      'sign',
      '--key',
      release.key,
      '--artifact',
      artifact,
      '--version',
      '1.x',
      '--models',
      'edge-gw-2',
      '--kind',
      'firmware',
      '--out',
      out,
    );
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/--version: must be a semantic version/);
    expect(bad.stderr).toMatch(/--kind: must be one of agent-bundle, rauc-bundle/);

    const noModels = fleetctl(
      'sign',
      '--key',
      release.key,
      '--artifact',
      artifact,
      '--version',
      '1.1.0',
      '--out',
      out,
    );
    expect(noModels.code).toBe(1);
    expect(noModels.stderr).toMatch(/required option '--models <list>' not specified/);

    const noKey = fleetctl(
      'sign',
      '--key',
      join(work, 'missing.key'),
      '--artifact',
      artifact,
      '--version',
      '1.1.0',
      '--models',
      'a',
      '--out',
      out,
    );
    expect(noKey.stderr).toMatch(/--key .*missing\.key: no such file/);

    const publicAsPrivate = fleetctl(
      'sign',
      '--key',
      release.pub,
      '--artifact',
      artifact,
      '--version',
      '1.1.0',
      '--models',
      'a',
      '--out',
      out,
    );
    expect(publicAsPrivate.stderr).toMatch(/error: INVALID_KEY/);
    await expect(stat(out)).rejects.toThrow();
  });
});
