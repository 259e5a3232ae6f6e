import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  generateReleaseKey,
  signManifest,
  type ReleaseKeyPair,
  type SignedManifest,
} from '@fleet/firmware';
import { expect } from 'vitest';
import type { ApiClient, ApiResponse } from '../../../support/http.js';
import { OtaTestGateway } from './ota-test-gateway.js';

export interface Artifact {
  bytes: Buffer;
  sha256: string;
}

export function artifact(size = 64 * 1024, seed = randomBytes(8).toString('hex')): Artifact {
  const bytes = Buffer.alloc(size);
  let block = createHash('sha256').update(seed).digest();
  for (let offset = 0; offset < size; offset += block.length) {
    block.copy(bytes, offset);
    block = createHash('sha256').update(block).digest();
  }
  return { bytes, sha256: createHash('sha256').update(bytes).digest('hex') };
}

export function signedFor(
  key: ReleaseKeyPair,
  art: Artifact,
  version: string,
  extra: {
    models?: string[];
    hardwareRevisions?: string[];
    minVersion?: string;
    notes?: string;
  } = {},
): SignedManifest {
  return signManifest(
    {
      version,
      kind: 'agent-bundle',
      models: extra.models ?? ['rpi4'],
      ...(extra.hardwareRevisions ? { hardwareRevisions: extra.hardwareRevisions } : {}),
      ...(extra.minVersion ? { minVersion: extra.minVersion } : {}),
      sha256: art.sha256,
      size: art.bytes.length,
      releaseNotes: extra.notes ?? `release ${version}`,
      createdAt: new Date().toISOString(),
    },
    key.privateKeyPem,
  );
}

export async function addKey(
  client: ApiClient,
  key: ReleaseKeyPair,
  name = 'release key',
): Promise<void> {
  const res = await client.post('/api/v1/firmware/keys', { name, publicKeyPem: key.publicKeyPem });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
}

export async function putArtifact(
  baseUrl: string,
  token: string,
  path: string,
  bytes: Buffer,
  headers: Record<string, string> = {},
): Promise<ApiResponse<Record<string, unknown>>> {
  const response = await fetch(baseUrl + path, {
    method: 'PUT',
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/octet-stream',
      ...headers,
    },
    body: bytes,
    signal: AbortSignal.timeout(30_000),
  });
  const text = await response.text();
  return {
    status: response.status,
    body: (text ? JSON.parse(text) : {}) as Record<string, unknown>,
    headers: response.headers,
  };
}

/** POST the envelope, PUT the bytes; returns the final answer (201 with the release, or the refusal). */
export async function upload(
  client: ApiClient,
  baseUrl: string,
  token: string,
  envelope: unknown,
  bytes: Buffer,
): Promise<ApiResponse<Record<string, unknown>>> {
  const ticket = await client.post<{ uploadPath?: string }>('/api/v1/firmware/releases', envelope);
  if (ticket.status !== 201) return ticket as ApiResponse<Record<string, unknown>>;
  return putArtifact(baseUrl, token, ticket.body.uploadPath!, bytes);
}

export async function uploadRelease(
  client: ApiClient,
  baseUrl: string,
  token: string,
  envelope: SignedManifest,
  art: Artifact,
): Promise<string> {
  const res = await upload(client, baseUrl, token, envelope, art.bytes);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.id as string;
}

/** Enrolls and connects `count` gateways at a site. */
export async function fleet(
  technician: ApiClient,
  anonymous: ApiClient,
  site: string,
  count: number,
  options: { prefix: string; model?: string; hardwareRevision?: string; firmwareVersion?: string },
): Promise<OtaTestGateway[]> {
  const gateways: OtaTestGateway[] = [];
  for (let i = 0; i < count; i++) {
    const claim = await technician.post<{ code: string }>(`/api/v1/sites/${site}/claims`, {});
    expect(claim.status).toBe(201);
    const gateway = await OtaTestGateway.enroll(
      anonymous,
      claim.body.code,
      `${options.prefix}-${i + 1}`,
      options,
    );
    await gateway.connect();
    gateways.push(gateway);
  }
  return gateways;
}

export async function eventually<T>(
  read: () => Promise<T>,
  ok: (value: T) => boolean,
  what: string,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = await read();
  while (!ok(last)) {
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(last, null, 1)}`);
    await new Promise((r) => setTimeout(r, 150));
    last = await read();
  }
  return last;
}

export async function tempDir(): Promise<{ path: string; remove(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), 'fleet-fw-'));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

export async function writeJson(file: string, value: unknown): Promise<void> {
  await writeFile(file, `${JSON.stringify(value, null, 2)}\n`);
}

export { generateReleaseKey };
