import { createHmac, timingSafeEqual } from 'node:crypto';

/** What a download token grants: one gateway, one release, until `expiresAt` (epoch ms). */
export interface DownloadGrant {
  gatewayId: string;
  releaseId: string;
  expiresAt: number;
}

export type TokenCheck =
  | { ok: true; grant: DownloadGrant }
  | { ok: false; code: 'DOWNLOAD_TOKEN_INVALID' | 'DOWNLOAD_TOKEN_EXPIRED'; reason: string };

const TOKEN = /^v1\.(\d{10,16})\.([A-Za-z0-9_-]{43})$/;

/**
 * Short-lived download tokens: an HMAC-SHA256 over gateway id, release id and expiry with a server
 * secret. The token carries only the expiry and the MAC; the ids come from the URL path, so a URL
 * minted for one gateway or release does not verify for another.
 */
export class DownloadTokenSigner {
  constructor(private readonly secret: Buffer) {
    if (secret.length < 32) throw new RangeError('download token secret must be at least 32 bytes');
  }

  sign(grant: DownloadGrant): string {
    return `v1.${grant.expiresAt}.${this.mac(grant)}`;
  }

  verify(token: string, gatewayId: string, releaseId: string, now: number): TokenCheck {
    const match = TOKEN.exec(token);
    if (!match)
      return {
        ok: false,
        code: 'DOWNLOAD_TOKEN_INVALID',
        reason: 'the download token is malformed',
      };
    const grant = { gatewayId, releaseId, expiresAt: Number(match[1]) };
    const expected = Buffer.from(this.mac(grant));
    const given = Buffer.from(match[2]);
    if (expected.length !== given.length || !timingSafeEqual(expected, given))
      return {
        ok: false,
        code: 'DOWNLOAD_TOKEN_INVALID',
        reason: 'the download token was not issued for this gateway and release',
      };
    if (grant.expiresAt <= now)
      return {
        ok: false,
        code: 'DOWNLOAD_TOKEN_EXPIRED',
        reason: `the download token expired at ${new Date(grant.expiresAt).toISOString()}; ask for a new one`,
      };
    return { ok: true, grant };
  }

  private mac(grant: DownloadGrant): string {
    return createHmac('sha256', this.secret)
      .update(`fleet-download:v1\n${grant.gatewayId}\n${grant.releaseId}\n${grant.expiresAt}`)
      .digest('base64url');
  }
}

export const DOWNLOAD_TOKENS = Symbol('DOWNLOAD_TOKENS');
