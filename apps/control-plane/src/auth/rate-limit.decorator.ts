import { SetMetadata } from '@nestjs/common';

export const RATE_LIMIT_METADATA = 'fleet:rate-limit';

export interface RateLimitMeta {
  /** Bucket name; requests count per bucket and client address. */
  bucket: string;
}

/** Limits the route per client address to AUTH_RATE_LIMIT_PER_MINUTE (auth-sensitive routes). */
export const RateLimited = (bucket: string): MethodDecorator =>
  SetMetadata(RATE_LIMIT_METADATA, { bucket } satisfies RateLimitMeta);
