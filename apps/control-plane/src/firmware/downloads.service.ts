import { Inject, Injectable } from '@nestjs/common';
import {
  ForbiddenError,
  GoneError,
  NotFoundError,
  UnauthenticatedError,
  UUID_PATTERN,
} from '@fleet/common';
import type { Readable } from 'node:stream';
import { GatewaysRepository } from '../registry/gateways.repository.js';
import { ARTIFACT_STORE, type ArtifactStore } from './artifact-store.port.js';
import { ifRangeMatches, noneMatch, parseRange } from './byte-range.js';
import { DOWNLOAD_TOKENS, type DownloadTokenSigner } from './download-token.js';
import { ReleasesRepository } from './releases.repository.js';
import { manifestOf } from './releases.service.js';

export interface DownloadRequest {
  gatewayId: string;
  releaseId: string;
  token: string | undefined;
  range?: string;
  ifRange?: string;
  ifNoneMatch?: string;
  head: boolean;
}

export interface DownloadResponse {
  status: 200 | 206 | 304 | 416;
  headers: Record<string, string>;
  body?: Readable;
}

/**
 * Serves artifacts to gateways: only with a valid token minted for that gateway and release, only
 * to an active gateway of the release's tenant and model, never a recalled release. Streams from the
 * store with Range, If-Range and a strong ETag (the artifact's SHA-256), so downloads resume.
 */
@Injectable()
export class DownloadsService {
  constructor(
    private readonly releases: ReleasesRepository,
    private readonly gateways: GatewaysRepository,
    @Inject(ARTIFACT_STORE) private readonly store: ArtifactStore,
    @Inject(DOWNLOAD_TOKENS) private readonly tokens: DownloadTokenSigner,
  ) {}

  async open(request: DownloadRequest, now = Date.now()): Promise<DownloadResponse> {
    if (!UUID_PATTERN.test(request.gatewayId) || !UUID_PATTERN.test(request.releaseId))
      throw new NotFoundError('DOWNLOAD_NOT_FOUND', 'no such firmware download');
    if (!request.token)
      throw new UnauthenticatedError(
        'DOWNLOAD_TOKEN_MISSING',
        'a download token is required (?token= or a bearer token from the ota instruction)',
      );
    const gatewayId = request.gatewayId.toLowerCase();
    const releaseId = request.releaseId.toLowerCase();
    const check = this.tokens.verify(request.token, gatewayId, releaseId, now);
    if (!check.ok) throw new ForbiddenError(check.code, check.reason);
    const release = await this.releases.findById(releaseId);
    if (!release)
      throw new NotFoundError('RELEASE_NOT_FOUND', `firmware release ${releaseId} not found`);
    if (release.recalledAt)
      throw new GoneError(
        'RELEASE_RECALLED',
        `release ${release.version} was recalled${release.recallReason ? `: ${release.recallReason}` : ''}`,
      );
    const gateway = await this.gateways.find(
      { tenantId: release.tenantId, siteIds: null },
      gatewayId,
    );
    if (!gateway || gateway.lifecycle !== 'active')
      throw new ForbiddenError(
        'GATEWAY_NOT_ALLOWED',
        `gateway ${gatewayId} may not download this release`,
      );
    const manifest = manifestOf(release);
    if (!manifest.models.includes(gateway.model))
      throw new ForbiddenError(
        'WRONG_MODEL',
        `release ${release.version} is for models ${manifest.models.join(', ')}, not ${gateway.model}`,
      );

    const size = release.sizeBytes;
    const etag = `"sha256-${release.sha256}"`;
    const lastModified = release.createdAt;
    const headers: Record<string, string> = {
      etag,
      'last-modified': lastModified.toUTCString(),
      'accept-ranges': 'bytes',
      'cache-control': 'private, no-transform',
      'content-type': 'application/octet-stream',
    };
    if (noneMatch(request.ifNoneMatch, etag)) return { status: 304, headers };
    const range = ifRangeMatches(request.ifRange, etag, lastModified)
      ? parseRange(request.range, size)
      : ({ kind: 'full' } as const);
    if (range.kind === 'unsatisfiable')
      return {
        status: 416,
        headers: { ...headers, 'content-range': `bytes */${size}`, 'content-length': '0' },
      };
    if (range.kind === 'partial') {
      const { start, end } = range.range;
      return {
        status: 206,
        headers: {
          ...headers,
          'content-range': `bytes ${start}-${end}/${size}`,
          'content-length': String(end - start + 1),
        },
        body: request.head ? undefined : await this.store.read(release.storageKey, range.range),
      };
    }
    return {
      status: 200,
      headers: { ...headers, 'content-length': String(size) },
      body: request.head ? undefined : await this.store.read(release.storageKey),
    };
  }
}
