import { Injectable } from '@nestjs/common';
import { ConflictError, InvalidInputError, NotFoundError } from '@fleet/common';
import { FirmwareError, keyIdOf, KEY_ID_PATTERN, type TrustedKey } from '@fleet/firmware';
import type { Scope } from '../auth/principal.js';
import type { ReleaseKeyCreateDto, ReleaseKeyDto } from './release-keys.dto.js';
import { ReleaseKeysRepository, type ReleaseKeyRow } from './release-keys.repository.js';

/** The release public keys a tenant trusts for firmware signatures: several, each revocable. */
@Injectable()
export class ReleaseKeysService {
  constructor(private readonly keys: ReleaseKeysRepository) {}

  async add(scope: Scope, input: ReleaseKeyCreateDto): Promise<ReleaseKeyDto> {
    if (input.publicKeyPem.includes('PRIVATE KEY'))
      throw new InvalidInputError('INVALID_KEY', [
        {
          field: 'publicKeyPem',
          reason:
            'is a private key; upload only the public key (<keyId>.pub) and keep the private key offline',
        },
      ]);
    let keyId: string;
    try {
      keyId = keyIdOf(input.publicKeyPem);
    } catch (error) {
      if (!(error instanceof FirmwareError)) throw error;
      throw new InvalidInputError('INVALID_KEY', [
        { field: 'publicKeyPem', reason: error.message },
      ]);
    }
    const created = await this.keys.insertIfAbsent({
      tenantId: scope.tenantId,
      keyId,
      name: input.name,
      publicKeyPem: input.publicKeyPem.trim() + '\n',
    });
    if (!created)
      throw new ConflictError('RELEASE_KEY_EXISTS', `release key ${keyId} is already registered`, {
        keyId,
      });
    return toDto(created);
  }

  async list(scope: Scope): Promise<{ items: ReleaseKeyDto[] }> {
    return { items: (await this.keys.list(scope.tenantId)).map(toDto) };
  }

  /** After this, releases signed by the key verify for no new upload or rollout. */
  async revoke(scope: Scope, keyId: string): Promise<ReleaseKeyDto> {
    if (!KEY_ID_PATTERN.test(keyId))
      throw new InvalidInputError('VALIDATION_FAILED', [
        { field: 'keyId', reason: 'must be 16 lowercase hex characters' },
      ]);
    const revoked = await this.keys.revoke(scope.tenantId, keyId, new Date());
    if (revoked) return toDto(revoked);
    const existing = await this.keys.find(scope.tenantId, keyId);
    if (!existing)
      throw new NotFoundError('RELEASE_KEY_NOT_FOUND', `release key ${keyId} not found`);
    throw new ConflictError('RELEASE_KEY_REVOKED', `release key ${keyId} is already revoked`, {
      keyId,
    });
  }

  /** Every key of the tenant as the firmware library wants it (revoked ones marked). */
  async trusted(tenantId: string): Promise<TrustedKey[]> {
    return (await this.keys.list(tenantId)).map((k) => ({
      keyId: k.keyId,
      publicKeyPem: k.publicKeyPem,
      revoked: k.revokedAt !== null,
    }));
  }

  async isRevoked(tenantId: string, keyId: string): Promise<boolean> {
    const key = await this.keys.find(tenantId, keyId);
    return !key || key.revokedAt !== null;
  }
}

function toDto(row: ReleaseKeyRow): ReleaseKeyDto {
  return {
    keyId: row.keyId,
    name: row.name,
    publicKeyPem: row.publicKeyPem,
    createdAt: row.createdAt,
    revokedAt: row.revokedAt,
  };
}
