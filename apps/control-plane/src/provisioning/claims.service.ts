import { Inject, Injectable } from '@nestjs/common';
import { InvalidInputError, NotFoundError, uuidv7 } from '@fleet/common';
import type { Principal, Scope } from '../auth/principal.js';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.tokens.js';
import { SitesService } from '../registry/sites.service.js';
import { hashClaimCode, newClaimCode } from './provisioning-secrets.js';
import { ProvisioningRepository, type ClaimRow } from './provisioning.repository.js';

export interface IssuedClaim {
  id: string;
  /** Shown once; only its hash is stored. */
  code: string;
  siteId: string;
  expiresAt: Date;
  /** What a technician runs on the gateway. */
  enrollCommand: string;
}

export interface ClaimView {
  id: string;
  siteId: string;
  createdAt: Date;
  expiresAt: Date;
  state: 'unused' | 'used' | 'expired' | 'revoked';
  gatewayId: string | null;
}

export const MAX_CLAIM_TTL_SECONDS = 7 * 24 * 3600;

@Injectable()
export class ClaimsService {
  constructor(
    private readonly repo: ProvisioningRepository,
    private readonly sites: SitesService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async create(
    scope: Scope,
    principal: Principal,
    siteId: string,
    ttlSeconds: number | undefined,
    serverUrl: string,
  ): Promise<IssuedClaim> {
    await this.sites.require(scope, siteId);
    const ttl = ttlSeconds ?? this.config.CLAIM_TTL_SECONDS;
    if (ttl < 60 || ttl > MAX_CLAIM_TTL_SECONDS) {
      throw new InvalidInputError('VALIDATION_FAILED', [
        { field: 'ttlSeconds', reason: `must be 60..${MAX_CLAIM_TTL_SECONDS}` },
      ]);
    }
    const code = newClaimCode();
    const row = await this.repo.insertClaim({
      id: uuidv7(),
      tenantId: scope.tenantId,
      siteId,
      codeHash: hashClaimCode(code),
      createdByUserId: principal.userId,
      expiresAt: new Date(Date.now() + ttl * 1000),
    });
    const server = this.config.PUBLIC_URL ?? serverUrl;
    return {
      id: row.id,
      code,
      siteId,
      expiresAt: row.expiresAt,
      enrollCommand: `npx gateway-agent enroll --server ${server} --claim ${code}`,
    };
  }

  async list(scope: Scope, siteId: string): Promise<ClaimView[]> {
    await this.sites.require(scope, siteId);
    return (await this.repo.listClaims(scope.tenantId, siteId, 100)).map(toClaimView);
  }

  async revoke(scope: Scope, id: string): Promise<ClaimView> {
    const claim = await this.repo.findClaim(scope.tenantId, id);
    if (!claim) throw new NotFoundError('CLAIM_NOT_FOUND', `claim ${id} not found`);
    await this.sites.require(scope, claim.siteId);
    return toClaimView((await this.repo.revokeClaim(scope.tenantId, id)) ?? claim);
  }
}

export function toClaimView(row: ClaimRow, now = Date.now()): ClaimView {
  const state = row.revokedAt
    ? 'revoked'
    : row.usedAt
      ? 'used'
      : row.expiresAt.getTime() <= now
        ? 'expired'
        : 'unused';
  return {
    id: row.id,
    siteId: row.siteId,
    createdAt: row.createdAt,
    expiresAt: row.expiresAt,
    state,
    gatewayId: row.gatewayId,
  };
}
