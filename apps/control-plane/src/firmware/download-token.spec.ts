import { describe, expect, it } from 'vitest';
import { DownloadTokenSigner } from './download-token.js';

const signer = new DownloadTokenSigner(Buffer.alloc(32, 7));
const grant = { gatewayId: 'gw-a', releaseId: 'rel-1', expiresAt: 1_800_000_000_000 };

describe('DownloadTokenSigner', () => {
  it('accepts its own token for the same gateway and release before expiry', () => {
    const token = signer.sign(grant);
    expect(signer.verify(token, 'gw-a', 'rel-1', grant.expiresAt - 1)).toEqual({ ok: true, grant });
  });

  it('refuses the token for another gateway or release', () => {
    const token = signer.sign(grant);
    expect(signer.verify(token, 'gw-b', 'rel-1', 0)).toMatchObject({
      ok: false,
      code: 'DOWNLOAD_TOKEN_INVALID',
    });
    expect(signer.verify(token, 'gw-a', 'rel-2', 0)).toMatchObject({
      ok: false,
      code: 'DOWNLOAD_TOKEN_INVALID',
    });
  });

  it('refuses an expired token, and a token whose expiry was edited', () => {
    const token = signer.sign(grant);
    expect(signer.verify(token, 'gw-a', 'rel-1', grant.expiresAt)).toMatchObject({
      ok: false,
      code: 'DOWNLOAD_TOKEN_EXPIRED',
    });
    const extended = token.replace(String(grant.expiresAt), String(grant.expiresAt + 3_600_000));
    expect(signer.verify(extended, 'gw-a', 'rel-1', 0)).toMatchObject({
      ok: false,
      code: 'DOWNLOAD_TOKEN_INVALID',
    });
  });

  it('refuses tokens of another secret and garbage', () => {
    const other = new DownloadTokenSigner(Buffer.alloc(32, 8)).sign(grant);
    expect(signer.verify(other, 'gw-a', 'rel-1', 0).ok).toBe(false);
    expect(signer.verify('v1.abc.def', 'gw-a', 'rel-1', 0)).toMatchObject({
      ok: false,
      reason: 'the download token is malformed',
    });
    expect(() => new DownloadTokenSigner(Buffer.alloc(16))).toThrow(/at least 32 bytes/);
  });
});
