import { Readable } from 'node:stream';
import { createHash } from 'node:crypto';
import { InvalidInputError, type DomainError } from '@fleet/common';
import {
  generateReleaseKey,
  signManifest,
  type FirmwareManifest,
  type TrustedKey,
} from '@fleet/firmware';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { AppConfig } from '../config/app-config.js';
import { MemoryArtifactStore } from './memory-artifact-store.adapter.js';
import type { PendingUpload, PendingUploadsAdapter } from './pending-uploads.adapter.js';
import type { ReleaseKeysService } from './release-keys.service.js';
import type { NewReleaseRow, ReleaseRow, ReleasesRepository } from './releases.repository.js';
import { ReleasesService } from './releases.service.js';

const scope = { tenantId: 't1', siteIds: null };
const key = generateReleaseKey();
const bytes = Buffer.from('agent bundle bytes '.repeat(100));
const sha256 = createHash('sha256').update(bytes).digest('hex');
const envelope = signManifest(
  {
    version: '1.2.0',
    kind: 'agent-bundle',
    models: ['rpi4'],
    sha256,
    size: bytes.length,
    releaseNotes: 'fixes',
    createdAt: '2026-03-01T00:00:00.000Z',
  },
  key.privateKeyPem,
) as unknown as Record<string, unknown>;

let store: MemoryArtifactStore;
let uploads: Map<string, PendingUpload>;
let rows: ReleaseRow[];
let keys: TrustedKey[];
let service: ReleasesService;

beforeEach(() => {
  store = new MemoryArtifactStore();
  uploads = new Map();
  rows = [];
  keys = [{ keyId: key.keyId, publicKeyPem: key.publicKeyPem, revoked: false }];
  const repo = {
    findVersion: vi.fn((_t: string, version: string) =>
      Promise.resolve(rows.find((r) => r.version === version)),
    ),
    insertIfAbsent: vi.fn((row: NewReleaseRow) => {
      if (rows.some((r) => r.version === row.version)) return Promise.resolve(undefined);
      const created = {
        ...row,
        createdAt: new Date(),
        recalledAt: null,
        recallReason: null,
      } as ReleaseRow;
      rows.push(created);
      return Promise.resolve(created);
    }),
  } as unknown as ReleasesRepository;
  const pending = {
    save: vi.fn((u: PendingUpload) => {
      uploads.set(u.id, u);
      return Promise.resolve();
    }),
    find: vi.fn((id: string) => Promise.resolve(uploads.get(id))),
    lock: vi.fn(() => Promise.resolve(true)),
    unlock: vi.fn(() => Promise.resolve()),
    remove: vi.fn((id: string) => {
      uploads.delete(id);
      return Promise.resolve();
    }),
  } as unknown as PendingUploadsAdapter;
  const keyService = {
    trusted: vi.fn(() => Promise.resolve(keys)),
  } as unknown as ReleaseKeysService;
  service = new ReleasesService(repo, keyService, pending, store, {
    FIRMWARE_MAX_BYTES: 1024 * 1024,
  } as AppConfig);
});

const body = (data: Buffer, contentLength?: number) => ({
  contentType: 'application/octet-stream',
  contentLength,
  stream: Readable.from([data.subarray(0, 500), data.subarray(500)]),
});

async function refusal(promise: Promise<unknown>): Promise<DomainError & { problems?: unknown }> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof Error)) throw new Error('expected a refusal');
  return error as DomainError;
}

describe('upload', () => {
  it('verifies the manifest, streams the bytes, and creates the release', async () => {
    const ticket = await service.begin(scope, undefined, envelope);
    expect(ticket).toMatchObject({ version: '1.2.0', size: bytes.length, keyId: key.keyId });
    const release = await service.receive(scope, ticket.id, body(bytes, bytes.length));
    expect(release).toMatchObject({ id: ticket.id, version: '1.2.0', sha256, models: ['rpi4'] });
    expect(store.objects.get(`t1/${ticket.id}.bin`)?.equals(bytes)).toBe(true);
    expect(uploads.size).toBe(0);
    expect(store.staged).toBe(0);
  });

  it('refuses a tampered artifact and keeps nothing', async () => {
    const ticket = await service.begin(scope, undefined, envelope);
    const tampered = Buffer.from(bytes);
    tampered[10] ^= 0xff;
    const error = await refusal(service.receive(scope, ticket.id, body(tampered)));
    expect(error).toBeInstanceOf(InvalidInputError);
    expect(error.code).toBe('HASH_MISMATCH');
    expect((error as InvalidInputError).problems[0]?.field).toBe('artifact');
    expect(store.objects.size).toBe(0);
    expect(store.staged).toBe(0);
    expect(rows).toEqual([]);
  });

  it('refuses more bytes than the manifest says, and a wrong Content-Length before reading', async () => {
    const ticket = await service.begin(scope, undefined, envelope);
    const longer = Buffer.concat([bytes, Buffer.from('x')]);
    expect((await refusal(service.receive(scope, ticket.id, body(longer)))).code).toBe(
      'SIZE_MISMATCH',
    );
    expect((await refusal(service.receive(scope, ticket.id, body(bytes, 12)))).message).toMatch(
      /12 bytes \(Content-Length\), the manifest says/,
    );
    expect(store.objects.size + store.staged).toBe(0);
  });

  it('refuses a bad signature, an unknown key and a revoked key with the field at fault', async () => {
    const forged = {
      ...envelope,
      manifest: { ...(envelope.manifest as object), models: ['rpi4', 'rpi5'] },
    };
    const bad = await refusal(service.begin(scope, undefined, forged));
    expect(bad.code).toBe('BAD_SIGNATURE');
    expect((bad as InvalidInputError).problems[0]?.field).toBe('signature.value');

    keys = [];
    expect((await refusal(service.begin(scope, undefined, envelope))).code).toBe('UNKNOWN_KEY');
    keys = [{ keyId: key.keyId, publicKeyPem: key.publicKeyPem, revoked: true }];
    expect((await refusal(service.begin(scope, undefined, envelope))).code).toBe('REVOKED_KEY');
  });

  it('checks the key again when the bytes arrive (revoked in between: nothing stored)', async () => {
    const ticket = await service.begin(scope, undefined, envelope);
    keys = [{ keyId: key.keyId, publicKeyPem: key.publicKeyPem, revoked: true }];
    expect((await refusal(service.receive(scope, ticket.id, body(bytes)))).code).toBe(
      'REVOKED_KEY',
    );
    expect(store.objects.size + store.staged).toBe(0);
  });

  it('refuses artifacts above FIRMWARE_MAX_BYTES before any byte is sent', async () => {
    const big = signManifest(
      { ...(envelope.manifest as FirmwareManifest), size: 2 * 1024 * 1024 },
      key.privateKeyPem,
    ) as unknown as Record<string, unknown>;
    const error = await refusal(service.begin(scope, undefined, big));
    expect(error.code).toBe('ARTIFACT_TOO_LARGE');
    expect(error.kind).toBe('too_large');
  });

  it('refuses an existing version, also when it appears during the transfer', async () => {
    const first = await service.begin(scope, undefined, envelope);
    const second = await service.begin(scope, undefined, envelope);
    await service.receive(scope, first.id, body(bytes));
    expect((await refusal(service.begin(scope, undefined, envelope))).code).toBe('RELEASE_EXISTS');
    expect((await refusal(service.receive(scope, second.id, body(bytes)))).code).toBe(
      'RELEASE_EXISTS',
    );
    expect([...store.objects.keys()]).toEqual([`t1/${first.id}.bin`]);
  });

  it('answers 404 for another tenant’s ticket', async () => {
    const ticket = await service.begin(scope, undefined, envelope);
    const error = await refusal(
      service.receive({ tenantId: 't2', siteIds: null }, ticket.id, body(bytes)),
    );
    expect(error.code).toBe('UPLOAD_NOT_FOUND');
  });
});
