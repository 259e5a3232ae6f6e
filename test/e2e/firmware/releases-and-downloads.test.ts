import { createHash, sign } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { manifestSigningBytes, toPrivateKey, type SignedManifest } from '@fleet/firmware';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DownloadTokenSigner } from '../../../apps/control-plane/src/firmware/download-token.js';
import { startTestControlPlane, type TestControlPlane } from '../../support/control-plane.js';
import { seedTenant, type TenantFixture } from '../../support/tenant-fixture.js';
import {
  addKey,
  artifact,
  eventually,
  fleet,
  generateReleaseKey,
  putArtifact,
  signedFor,
  upload,
  uploadRelease,
} from './support/firmware-fixture.js';
import type { OtaTestGateway } from './support/ota-test-gateway.js';

interface ErrorBody {
  code: string;
  message: string;
  errors?: { field: string; reason: string }[];
}

const MAX_BYTES = 256 * 1024;
let cp: TestControlPlane;
let t: TenantFixture;
const gateways: OtaTestGateway[] = [];
const key = generateReleaseKey();

beforeAll(async () => {
  cp = await startTestControlPlane({
    AUTH_RATE_LIMIT_PER_MINUTE: '100000',
    PRESENCE_DEBOUNCE_MS: '0',
    FIRMWARE_MAX_BYTES: String(MAX_BYTES),
  });
  t = await seedTenant(cp.platform, 'rel', ['rel-a']);
});

afterAll(async () => {
  for (const g of gateways) await g.close();
  await cp?.close();
});

const rm = () => t.as['release-manager'];
const releaseRows = () => cp.db.query<{ version: string }>('select version from firmware_releases');

async function storedFiles(): Promise<string[]> {
  const root = join(cp.dataDir, 'artifacts');
  const files: string[] = [];
  for (const entry of await readdir(root, { recursive: true, withFileTypes: true }))
    if (entry.isFile()) files.push(join(entry.parentPath, entry.name).slice(root.length + 1));
  return files.sort();
}

describe('release keys', () => {
  it('registers public keys by their key id, refuses duplicates, private keys and garbage', async () => {
    const added = await rm().post<{ keyId: string; revokedAt: null }>('/api/v1/firmware/keys', {
      name: 'release 2026',
      publicKeyPem: key.publicKeyPem,
    });
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({ keyId: key.keyId, revokedAt: null });
    expect(
      (await rm().post('/api/v1/firmware/keys', { name: 'again', publicKeyPem: key.publicKeyPem }))
        .status,
    ).toBe(409);
    const secret = await t.as.admin.post<ErrorBody>('/api/v1/firmware/keys', {
      name: 'oops',
      publicKeyPem: `-----BEGIN PUBLIC KEY-----\n${key.privateKeyPem}`,
    });
    expect(secret.status).toBe(400);
    expect(secret.body.errors?.[0]).toMatchObject({ field: 'publicKeyPem' });
    expect(secret.body.errors?.[0]?.reason).toMatch(/private key/);
    const garbage = await rm().post<ErrorBody>('/api/v1/firmware/keys', {
      name: 'junk',
      publicKeyPem: '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n',
    });
    expect(garbage.status).toBe(400);
    expect(garbage.body.code).toBe('INVALID_KEY');
    const listed = await rm().get<{ items: { keyId: string }[] }>('/api/v1/firmware/keys');
    expect(listed.body.items.map((k) => k.keyId)).toEqual([key.keyId]);
  });
});

describe('uploads', () => {
  it('accepts a signed artifact, stores it, and lists the release for every role', async () => {
    const art = artifact(100_000);
    const res = await upload(
      rm(),
      cp.url,
      t.tokens['release-manager'],
      signedFor(key, art, '1.0.0'),
      art.bytes,
    );
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body).toMatchObject({
      version: '1.0.0',
      kind: 'agent-bundle',
      sha256: art.sha256,
      size: art.bytes.length,
      models: ['rpi4'],
      signature: { keyId: key.keyId, keyRevoked: false },
    });
    const stored = await storedFiles();
    expect(stored).toEqual([`rel/${res.body.id as string}.bin`]);
    expect(
      createHash('sha256')
        .update(await readFile(join(cp.dataDir, 'artifacts', stored[0]!)))
        .digest('hex'),
    ).toBe(art.sha256);
    const listed = await t.as.viewer.get<{ items: { id: string }[] }>('/api/v1/firmware/releases');
    expect(listed.body.items.map((r) => r.id)).toContain(res.body.id);
  });

  it('refuses a tampered artifact with the reason, and keeps neither row nor file', async () => {
    const art = artifact(50_000);
    const tampered = Buffer.from(art.bytes);
    tampered[1234] ^= 0x01;
    const before = await storedFiles();
    const res = await upload(
      rm(),
      cp.url,
      t.tokens['release-manager'],
      signedFor(key, art, '1.0.1'),
      tampered,
    );
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 'HASH_MISMATCH' });
    expect((res.body as unknown as ErrorBody).errors?.[0]?.field).toBe('artifact');
    expect((res.body as unknown as ErrorBody).message).toContain(`the manifest says ${art.sha256}`);
    expect((await releaseRows()).map((r) => r.version)).not.toContain('1.0.1');
    expect(await storedFiles()).toEqual(before);
  });

  it('refuses a manifest whose signature does not verify, or by an unknown key', async () => {
    const art = artifact(10_000);
    const envelope = signedFor(key, art, '1.0.2');
    const altered = { ...envelope, manifest: { ...envelope.manifest, models: ['rpi4', 'rpi5'] } };
    const bad = await rm().post<ErrorBody>('/api/v1/firmware/releases', altered);
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('BAD_SIGNATURE');
    expect(bad.body.errors?.[0]?.field).toBe('signature.value');

    const stranger = generateReleaseKey();
    const unknown = await rm().post<ErrorBody>(
      '/api/v1/firmware/releases',
      signedFor(stranger, art, '1.0.2'),
    );
    expect(unknown.status).toBe(400);
    expect(unknown.body.code).toBe('UNKNOWN_KEY');
    expect(unknown.body.message).toContain(stranger.keyId);
  });

  it('refuses an invalid manifest naming each bad field (even when correctly signed)', async () => {
    const manifest = {
      version: 'v2',
      kind: 'agent-bundle',
      models: [],
      sha256: 'xyz',
      size: 10,
      releaseNotes: '',
      createdAt: '2026-01-01T00:00:00.000Z',
    };
    const value = sign(
      null,
      manifestSigningBytes(manifest),
      toPrivateKey(key.privateKeyPem),
    ).toString('base64');
    const res = await rm().post<ErrorBody>('/api/v1/firmware/releases', {
      manifest,
      signature: { alg: 'ed25519', keyId: key.keyId, value },
    });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('INVALID_MANIFEST');
    expect(res.body.errors?.map((e) => e.field).sort()).toEqual([
      'manifest.models',
      'manifest.sha256',
      'manifest.version',
    ]);
  });

  it('refuses an artifact above FIRMWARE_MAX_BYTES before any byte is sent', async () => {
    const art = artifact(MAX_BYTES + 1);
    const res = await rm().post<ErrorBody>(
      '/api/v1/firmware/releases',
      signedFor(key, art, '9.0.0'),
    );
    expect(res.status).toBe(413);
    expect(res.body.code).toBe('ARTIFACT_TOO_LARGE');
    expect(res.body.message).toContain('FIRMWARE_MAX_BYTES');
  });

  it('refuses a second upload of a version, and bytes that are not octet-stream', async () => {
    const art = artifact(1000);
    const again = await rm().post<ErrorBody>(
      '/api/v1/firmware/releases',
      signedFor(key, artifact(10), '1.0.0'),
    );
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('RELEASE_EXISTS');
    const ticket = await rm().post<{ uploadPath: string }>(
      '/api/v1/firmware/releases',
      signedFor(key, art, '1.0.3'),
    );
    const json = await rm().request<ErrorBody>('PUT', ticket.body.uploadPath, {
      body: { bytes: 'nope' },
    });
    expect(json.status).toBe(400);
    expect(json.body.errors?.[0]?.field).toBe('content-type');
    const wrongLength = await putArtifact(
      cp.url,
      t.tokens['release-manager'],
      ticket.body.uploadPath,
      art.bytes.subarray(0, 10),
    );
    expect(wrongLength.status).toBe(400);
    expect(wrongLength.body.code).toBe('SIZE_MISMATCH');
    // The ticket survives refusals; the right bytes still go through.
    const ok = await putArtifact(
      cp.url,
      t.tokens['release-manager'],
      ticket.body.uploadPath,
      art.bytes,
    );
    expect(ok.status).toBe(201);
  });

  it('leaves nothing behind when the client hangs up halfway', async () => {
    const art = artifact(200_000);
    const ticket = await rm().post<{ uploadPath: string }>(
      '/api/v1/firmware/releases',
      signedFor(key, art, '1.0.4'),
    );
    const before = await storedFiles();
    await new Promise<void>((resolve) => {
      const url = new URL(cp.url + ticket.body.uploadPath);
      const req = request(url, {
        method: 'PUT',
        headers: {
          authorization: `Bearer ${t.tokens['release-manager']}`,
          'content-type': 'application/octet-stream',
          'content-length': String(art.bytes.length),
        },
      });
      req.on('error', () => {
        resolve();
      });
      req.write(art.bytes.subarray(0, 100_000), () => {
        setTimeout(() => {
          req.destroy();
          resolve();
        }, 200);
      });
    });
    await eventually(
      storedFiles,
      (files) => files.length === before.length,
      'staging to be cleaned',
    );
    expect((await releaseRows()).map((r) => r.version)).not.toContain('1.0.4');
  });

  it('stops accepting uploads signed by a revoked key, and rollouts of its releases', async () => {
    const second = generateReleaseKey();
    await addKey(rm(), second, 'second');
    const art = artifact(2000);
    const releaseId = await uploadRelease(
      rm(),
      cp.url,
      t.tokens['release-manager'],
      signedFor(second, art, '1.1.0'),
      art,
    );
    const revoked = await t.as.admin.post<{ revokedAt: string }>(
      `/api/v1/firmware/keys/${second.keyId}/revoke`,
      {},
    );
    expect(revoked.status).toBe(200);
    expect(revoked.body.revokedAt).toBeTruthy();

    const res = await rm().post<ErrorBody>(
      '/api/v1/firmware/releases',
      signedFor(second, artifact(10), '1.1.1'),
    );
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('REVOKED_KEY');
    expect(res.body.errors?.[0]).toMatchObject({ field: 'signature.keyId' });

    const release = await t.as.viewer.get<{ signature: { keyRevoked: boolean } }>(
      `/api/v1/firmware/releases/${releaseId}`,
    );
    expect(release.body.signature.keyRevoked).toBe(true);
    const rollout = await rm().post<ErrorBody>('/api/v1/rollouts', {
      releaseId,
      selector: '',
      waves: ['100%'],
    });
    expect(rollout.status).toBe(409);
    expect(rollout.body.code).toBe('RELEASE_KEY_REVOKED');
  });
});

describe('downloads', () => {
  let releaseId: string;
  let art: ReturnType<typeof artifact>;
  let gateway: OtaTestGateway;
  let url: string;
  let token: string;
  let signer: DownloadTokenSigner;

  beforeAll(async () => {
    art = artifact(120_000);
    releaseId = await uploadRelease(
      rm(),
      cp.url,
      t.tokens['release-manager'],
      signedFor(key, art, '2.0.0'),
      art,
    );
    [gateway] = await fleet(t.as.technician, cp.anonymous, 'rel-a', 1, {
      prefix: 'DL',
      firmwareVersion: '1.0.0',
    });
    const [other] = await fleet(t.as.technician, cp.anonymous, 'rel-a', 1, {
      prefix: 'DLX',
      firmwareVersion: '1.0.0',
    });
    gateways.push(gateway!, other!);
    gateway!.behaviour = 'silent';
    other!.behaviour = 'silent';
    const created = await rm().post<{ id: string }>('/api/v1/rollouts', {
      releaseId,
      selector: `serial=${gateway!.serialNumber}`,
      waves: ['100%'],
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    await gateway!.waitFor(() => gateway!.received.length > 0, 'an ota instruction');
    const instruction = gateway!.received[0]!.message;
    expect(instruction).toMatchObject({ action: 'install', deploymentId: expect.any(String) });
    expect((instruction.manifest as unknown as SignedManifest).manifest.sha256).toBe(art.sha256);
    url = instruction.downloadUrl;
    token = instruction.token;
    signer = new DownloadTokenSigner(
      Buffer.from((await readFile(join(cp.dataDir, 'secrets', 'firmware-url.key'), 'utf8')).trim()),
    );
  });

  it('serves the artifact with its ETag, and byte ranges to resume', async () => {
    const full = await fetch(url);
    expect(full.status).toBe(200);
    const etag = full.headers.get('etag')!;
    expect(etag).toBe(`"sha256-${art.sha256}"`);
    expect(full.headers.get('accept-ranges')).toBe('bytes');
    expect(Buffer.from(await full.arrayBuffer()).equals(art.bytes)).toBe(true);

    const part = await fetch(url, { headers: { range: 'bytes=100000-', 'if-range': etag } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 100000-119999/${art.bytes.length}`);
    expect(Buffer.from(await part.arrayBuffer()).equals(art.bytes.subarray(100_000))).toBe(true);

    const changed = await fetch(url, {
      headers: { range: 'bytes=100000-', 'if-range': '"sha256-old"' },
    });
    expect(changed.status).toBe(200);
    expect(Number(changed.headers.get('content-length'))).toBe(art.bytes.length);
    await changed.arrayBuffer();

    expect((await fetch(url, { headers: { 'if-none-match': etag } })).status).toBe(304);
    const beyond = await fetch(url, { headers: { range: `bytes=${art.bytes.length}-` } });
    expect(beyond.status).toBe(416);
    expect(beyond.headers.get('content-range')).toBe(`bytes */${art.bytes.length}`);

    const bare = url.slice(0, url.indexOf('?'));
    const header = await fetch(bare, {
      headers: { authorization: `Bearer ${token}`, range: 'bytes=0-9' },
    });
    expect(header.status).toBe(206);
    expect(Buffer.from(await header.arrayBuffer()).equals(art.bytes.subarray(0, 10))).toBe(true);
  });

  it('refuses the URL for another gateway, a forged or expired token, and no token', async () => {
    const other = gateways[1]!;
    const swapped = url.replace(gateway.id, other.id);
    const res = await fetch(swapped);
    expect(res.status).toBe(403);
    expect(((await res.json()) as ErrorBody).code).toBe('DOWNLOAD_TOKEN_INVALID');

    const forged = url.replace(
      /token=v1\.(\d+)\./,
      (_m, exp: string) => `token=v1.${Number(exp) + 60_000}.`,
    );
    expect((await fetch(forged)).status).toBe(403);

    const expired = signer.sign({ gatewayId: gateway.id, releaseId, expiresAt: Date.now() - 1000 });
    const late = await fetch(`${url.slice(0, url.indexOf('?'))}?token=${expired}`);
    expect(late.status).toBe(403);
    expect(((await late.json()) as ErrorBody).code).toBe('DOWNLOAD_TOKEN_EXPIRED');

    const none = await fetch(url.slice(0, url.indexOf('?')));
    expect(none.status).toBe(401);
    expect(((await none.json()) as ErrorBody).code).toBe('DOWNLOAD_TOKEN_MISSING');
  });

  it('refuses a gateway of another model even with a valid token', async () => {
    const [rpi3] = await fleet(t.as.technician, cp.anonymous, 'rel-a', 1, {
      prefix: 'DL3',
      model: 'rpi3',
      firmwareVersion: '1.0.0',
    });
    gateways.push(rpi3!);
    const valid = signer.sign({ gatewayId: rpi3!.id, releaseId, expiresAt: Date.now() + 60_000 });
    const res = await fetch(
      `${cp.url}/api/v1/firmware/downloads/${rpi3!.id}/${releaseId}?token=${valid}`,
    );
    expect(res.status).toBe(403);
    const body = (await res.json()) as ErrorBody;
    expect(body.code).toBe('WRONG_MODEL');
    expect(body.message).toContain('not rpi3');
  });

  it('recalling the release refuses its downloads, aborts its rollouts and tells gateways to cancel', async () => {
    const recalled = await rm().post<{
      stoppedRollouts: number;
      canceledDeployments: number;
      recalledAt: string;
    }>(`/api/v1/firmware/releases/${releaseId}/recall`, { reason: 'bricks the modem' });
    expect(recalled.status).toBe(200);
    expect(recalled.body).toMatchObject({ stoppedRollouts: 1, canceledDeployments: 1 });
    const res = await fetch(url);
    expect(res.status).toBe(410);
    expect(((await res.json()) as ErrorBody).message).toContain('bricks the modem');
    await gateway.waitFor(
      () => gateway.received.some((r) => r.message.action === 'cancel'),
      'a cancel instruction',
    );
    const rollouts = await t.as.viewer.get<{
      items: { state: string; stateReason: string; counts: Record<string, number> }[];
    }>('/api/v1/rollouts');
    expect(rollouts.body.items[0]).toMatchObject({
      state: 'aborted',
      stateReason: 'release 2.0.0 recalled: bricks the modem',
      counts: { canceled: 1 },
    });
    const again = await rm().post<ErrorBody>('/api/v1/rollouts', {
      releaseId,
      selector: '',
      waves: ['100%'],
    });
    expect(again.status).toBe(410);
    expect(again.body.code).toBe('RELEASE_RECALLED');
  });
});
