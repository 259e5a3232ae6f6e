/** `ProfileCatalog.get()` was asked for an id it does not hold. */
export class ProfileNotFoundError extends Error {
  readonly code = 'PROFILE_NOT_FOUND';

  constructor(
    readonly profileId: string,
    readonly available: readonly string[],
  ) {
    super(`device profile "${profileId}" not found (available: ${available.join(', ') || 'none'})`);
    this.name = 'ProfileNotFoundError';
  }
}
