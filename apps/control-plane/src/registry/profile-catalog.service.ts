import { Inject, Injectable } from '@nestjs/common';
import { InvalidInputError, NotFoundError } from '@fleet/common';
import type { DeviceProfile, ProfileCatalog } from '@fleet/profiles';

export const PROFILE_CATALOG = Symbol('PROFILE_CATALOG');

/** The device profiles this control plane knows (loaded once at boot from device-profiles/). */
@Injectable()
export class ProfileCatalogService {
  constructor(@Inject(PROFILE_CATALOG) private readonly catalog: ProfileCatalog) {}

  list(): DeviceProfile[] {
    return this.catalog.list();
  }

  get(id: string): DeviceProfile {
    if (!this.catalog.has(id))
      throw new NotFoundError('PROFILE_NOT_FOUND', `device profile ${id} not found`);
    return this.catalog.get(id);
  }

  /** A 400 naming `field` when the profile is unknown or cannot be reached over this connection kind. */
  requireCompatible(profileId: string, connectionKind: string, field: string): DeviceProfile {
    if (!this.catalog.has(profileId)) {
      const known = this.catalog.list().map((p) => p.id);
      throw new InvalidInputError('VALIDATION_FAILED', [
        {
          field: 'profileId',
          reason: `unknown device profile "${profileId}" (known: ${known.join(', ') || 'none'})`,
        },
      ]);
    }
    const profile = this.catalog.get(profileId);
    const kinds = profile.transports.map((t) => t.kind);
    if (!kinds.includes(connectionKind as (typeof kinds)[number])) {
      throw new InvalidInputError('VALIDATION_FAILED', [
        { field, reason: `profile ${profileId} speaks ${kinds.join(', ')}, not ${connectionKind}` },
      ]);
    }
    return profile;
  }
}
