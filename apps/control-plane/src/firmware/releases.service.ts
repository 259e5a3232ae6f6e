import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  ConflictError,
  DomainError,
  InvalidInputError,
  NotFoundError,
  uuidv7,
} from '@fleet/common';
import {
  assertDigestMatches,
  FirmwareError,
  FirmwareErrorCode,
  verifySignedManifest,
  type FirmwareManifest,
  type VerifiedManifest,
} from '@fleet/firmware';
import type { Readable } from 'node:stream';
import type { Principal, Scope } from '../auth/principal.js';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.tokens.js';
import { decodeCursor, DEFAULT_PAGE_SIZE, pageOf, type Page } from '../http/pagination.js';
import { ARTIFACT_STORE, type ArtifactStore, type StagedArtifact } from './artifact-store.port.js';
import { ArtifactTransferError } from './firmware.errors.js';
import { PendingUploadsAdapter, type PendingUpload } from './pending-uploads.adapter.js';
import { ReleaseKeysService } from './release-keys.service.js';
import type { ReleaseDto, ReleaseListQueryDto, UploadTicketDto } from './releases.dto.js';
import { ReleasesRepository, type ReleaseRow } from './releases.repository.js';

const UPLOAD_TICKET_SECONDS = 3600;
const UPLOAD_IDLE_MS = 60_000;
const UPLOAD_TOTAL_MS = 2 * 3600_000;

/** The artifact bytes of an upload request, as the HTTP edge hands them over. */
export interface ArtifactBody {
  contentType: string | undefined;
  contentLength: number | undefined;
  /** The request body stream; undefined when the body was not application/octet-stream. */
  stream: Readable | undefined;
}

/**
 * Firmware releases: a release manager sends the signed manifest (checked against the tenant's
 * release keys), then streams the artifact, which is hashed on the way in and becomes a release only
 * if size, SHA-256 and signature all verify. Nothing of a refused upload stays.
 */
@Injectable()
export class ReleasesService {
  private readonly logger = new Logger(ReleasesService.name);

  constructor(
    private readonly releases: ReleasesRepository,
    private readonly keys: ReleaseKeysService,
    private readonly uploads: PendingUploadsAdapter,
    @Inject(ARTIFACT_STORE) private readonly store: ArtifactStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Step 1: the signed manifest. Refused at once if it does not verify or cannot fit. */
  async begin(
    scope: Scope,
    principal: Principal | undefined,
    envelope: Record<string, unknown>,
  ): Promise<UploadTicketDto> {
    const verified = await this.verify(scope.tenantId, envelope);
    const manifest = verified.manifest;
    if (manifest.size > this.config.FIRMWARE_MAX_BYTES)
      throw new DomainError(
        'too_large',
        'ARTIFACT_TOO_LARGE',
        `the artifact is ${manifest.size} bytes; this control plane accepts at most ${this.config.FIRMWARE_MAX_BYTES} (FIRMWARE_MAX_BYTES)`,
      );
    const existing = await this.releases.findVersion(
      scope.tenantId,
      manifest.version,
      manifest.kind,
    );
    if (existing) throw releaseExists(manifest, existing.id);
    const id = uuidv7();
    const expiresAt = new Date(Date.now() + UPLOAD_TICKET_SECONDS * 1000).toISOString();
    const upload: PendingUpload = {
      id,
      tenantId: scope.tenantId,
      userId: principal?.userId ?? null,
      envelope,
      keyId: verified.keyId,
      version: manifest.version,
      kind: manifest.kind,
      sha256: manifest.sha256,
      size: manifest.size,
      expiresAt,
    };
    await this.uploads.save(upload, UPLOAD_TICKET_SECONDS);
    return {
      id,
      version: manifest.version,
      kind: manifest.kind,
      size: manifest.size,
      sha256: manifest.sha256,
      keyId: verified.keyId,
      uploadPath: `/api/v1/firmware/releases/${id}/artifact`,
      expiresAt,
    };
  }

  /** Step 2: the artifact bytes, streamed into staging and committed only once everything verifies. */
  async receive(scope: Scope, id: string, body: ArtifactBody): Promise<ReleaseDto> {
    const upload = await this.uploads.find(id);
    if (!upload || upload.tenantId !== scope.tenantId) {
      body.stream?.resume();
      throw new NotFoundError(
        'UPLOAD_NOT_FOUND',
        `no pending upload ${id}: send the signed manifest first (POST /api/v1/firmware/releases); tickets expire after ${UPLOAD_TICKET_SECONDS / 60} minutes`,
      );
    }
    if (!body.stream)
      throw new InvalidInputError('UNSUPPORTED_CONTENT_TYPE', [
        {
          field: 'content-type',
          reason: `must be application/octet-stream (the artifact bytes), got ${body.contentType ?? 'nothing'}`,
        },
      ]);
    if (body.contentLength !== undefined && body.contentLength !== upload.size) {
      body.stream.resume();
      throw new InvalidInputError(FirmwareErrorCode.SIZE_MISMATCH, [
        {
          field: 'artifact',
          reason: `is ${body.contentLength} bytes (Content-Length), the manifest says ${upload.size}`,
        },
      ]);
    }
    if (!(await this.uploads.lock(id, UPLOAD_TOTAL_MS))) {
      body.stream.resume();
      throw new ConflictError('UPLOAD_IN_PROGRESS', `upload ${id} is already being received`);
    }
    let staged: StagedArtifact | undefined;
    try {
      staged = await this.store
        .stage(body.stream, {
          maxBytes: upload.size,
          idleTimeoutMs: UPLOAD_IDLE_MS,
          totalTimeoutMs: UPLOAD_TOTAL_MS,
        })
        .catch((error: unknown) => {
          if (error instanceof ArtifactTransferError && error.code === 'ARTIFACT_TOO_LARGE')
            throw new InvalidInputError(FirmwareErrorCode.SIZE_MISMATCH, [
              { field: 'artifact', reason: `is larger than the manifest's ${upload.size} bytes` },
            ]);
          throw error;
        });
      try {
        assertDigestMatches(staged, { sha256: upload.sha256, size: upload.size });
      } catch (error) {
        if (!(error instanceof FirmwareError)) throw error;
        throw new InvalidInputError(error.code, [{ field: 'artifact', reason: error.message }]);
      }
      // The key may have been revoked since the manifest was accepted.
      const verified = await this.verify(scope.tenantId, upload.envelope);
      const storageKey = `${scope.tenantId}/${id}.bin`;
      await staged.commit(storageKey);
      const created = await this.releases
        .insertIfAbsent({
          id,
          tenantId: scope.tenantId,
          version: verified.manifest.version,
          kind: verified.manifest.kind,
          envelope: upload.envelope,
          keyId: verified.keyId,
          sha256: staged.sha256,
          sizeBytes: staged.size,
          storageKey,
          releaseNotes: verified.manifest.releaseNotes,
          createdByUserId: upload.userId,
        })
        .catch(async (error: unknown) => {
          await this.store.remove(storageKey);
          throw error;
        });
      if (!created) {
        await this.store.remove(storageKey);
        throw releaseExists(verified.manifest);
      }
      await this.uploads.remove(id);
      this.logger.log(
        { releaseId: id, version: created.version, bytes: staged.size, tenantId: scope.tenantId },
        'firmware release uploaded',
      );
      return toReleaseDto(created, false);
    } finally {
      await staged?.discard();
      await this.uploads.unlock(id).catch(() => undefined);
    }
  }

  async list(scope: Scope, query: ReleaseListQueryDto): Promise<Page<ReleaseDto>> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const rows = await this.releases.list(scope.tenantId, decodeCursor(query.cursor), limit + 1);
    const page = pageOf(rows, limit, (r) => r.id);
    const revoked = await this.revokedKeys(scope.tenantId);
    return {
      items: page.items.map((r) => toReleaseDto(r, revoked.has(r.keyId))),
      nextCursor: page.nextCursor,
    };
  }

  async get(scope: Scope, id: string): Promise<ReleaseDto> {
    const row = await this.require(scope.tenantId, id);
    return toReleaseDto(row, await this.keys.isRevoked(scope.tenantId, row.keyId));
  }

  async require(tenantId: string, id: string): Promise<ReleaseRow> {
    const row = await this.releases.find(tenantId, id);
    if (!row) throw new NotFoundError('RELEASE_NOT_FOUND', `firmware release ${id} not found`);
    return row;
  }

  async describe(row: ReleaseRow): Promise<ReleaseDto> {
    return toReleaseDto(row, await this.keys.isRevoked(row.tenantId, row.keyId));
  }

  private async revokedKeys(tenantId: string): Promise<Set<string>> {
    const keys = await this.keys.trusted(tenantId);
    return new Set(keys.filter((k) => k.revoked).map((k) => k.keyId));
  }

  /** Verifies an envelope against the tenant's keys; failures name the field and the reason. */
  private async verify(tenantId: string, envelope: unknown): Promise<VerifiedManifest> {
    try {
      return verifySignedManifest(envelope, await this.keys.trusted(tenantId));
    } catch (error) {
      if (!(error instanceof FirmwareError)) throw error;
      throw toInputError(error);
    }
  }
}

const FIELD_OF: Partial<Record<FirmwareErrorCode, string>> = {
  UNKNOWN_KEY: 'signature.keyId',
  REVOKED_KEY: 'signature.keyId',
  INVALID_KEY: 'signature.keyId',
  BAD_SIGNATURE: 'signature.value',
};

function toInputError(error: FirmwareError): InvalidInputError {
  const issues = error.details.issues;
  if (issues?.length) return new InvalidInputError(error.code, issues, error.message);
  return new InvalidInputError(
    error.code,
    [{ field: FIELD_OF[error.code] ?? 'manifest', reason: error.message }],
    error.message,
  );
}

function releaseExists(
  manifest: Pick<FirmwareManifest, 'version' | 'kind'>,
  id?: string,
): ConflictError {
  return new ConflictError(
    'RELEASE_EXISTS',
    `release ${manifest.version} (${manifest.kind}) already exists${id ? ` as ${id}` : ''}; versions are immutable`,
    id ? { releaseId: id } : undefined,
  );
}

export function manifestOf(row: ReleaseRow): FirmwareManifest {
  return (row.envelope as { manifest: FirmwareManifest }).manifest;
}

export function toReleaseDto(row: ReleaseRow, keyRevoked: boolean): ReleaseDto {
  const manifest = manifestOf(row);
  return {
    id: row.id,
    version: row.version,
    kind: row.kind,
    models: [...manifest.models],
    hardwareRevisions: manifest.hardwareRevisions ? [...manifest.hardwareRevisions] : null,
    minVersion: manifest.minVersion ?? null,
    sha256: row.sha256,
    size: row.sizeBytes,
    releaseNotes: row.releaseNotes ?? '',
    signature: { keyId: row.keyId, keyRevoked },
    createdByUserId: row.createdByUserId,
    createdAt: row.createdAt,
    recalledAt: row.recalledAt,
    recallReason: row.recallReason,
  };
}
