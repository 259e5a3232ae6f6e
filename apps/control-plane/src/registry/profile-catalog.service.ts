import { Inject, Injectable } from '@nestjs/common';
import { InvalidInputError, NotFoundError } from '@fleet/common';
import type { DeviceProfile, ProfileCatalog } from '@fleet/profiles';

export const PROFILE_CATALOG = Symbol('PROFILE_CATALOG');
export const PROFILE_SOURCES = Symbol('PROFILE_SOURCES');

/** The device profiles this control plane knows (loaded once at boot from device-profiles/). */
@Injectable()
export class ProfileCatalogService {
  constructor(
    @Inject(PROFILE_CATALOG) private readonly catalog: ProfileCatalog,
    @Inject(PROFILE_SOURCES) private readonly sources: ReadonlyMap<string, string>,
  ) {}

  /** The profile as its YAML text, for gateways (which parse and validate it themselves). */
  source(id: string): { id: string; version: string; source: string } {
    const profile = this.get(id);
    const source = this.sources.get(id);
    if (source === undefined)
      throw new NotFoundError('PROFILE_SOURCE_MISSING', `no source text for profile ${id}`);
    return { id, version: profile.version, source };
  }

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
