import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from './canonical-json.js';
import { FirmwareError, FirmwareErrorCode } from './firmware-error.js';
import type { FirmwareManifest } from './firmware-manifest.dto.js';
import { signManifest, trustedKey, verifySignedManifest } from './manifest-signer.js';
import { generateReleaseKey, keyIdOf } from './release-key.js';

const manifest: FirmwareManifest = {
  version: '1.4.0',
  kind: 'agent-bundle',
  models: ['edge-gw-2'],
  sha256: createHash('sha256').update('artifact').digest('hex'),
  size: 8,
  releaseNotes: 'Faster polling.',
  createdAt: '2026-03-01T08:30:00.000Z',
};
const key = generateReleaseKey();
const other = generateReleaseKey();
const trusted = [trustedKey(key.publicKeyPem), trustedKey(other.publicKeyPem)];

/** The envelope as it travels: JSON text, parsed by the receiver. */
function roundTrip(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value));
}

function codeOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof FirmwareError) return error.code;
    throw error;
  }
  return 'OK';
}

describe('release keys', () => {
  it('derives a 16-hex key id from the public key, the same from either half', () => {
    expect(key.keyId).toMatch(/^[0-9a-f]{16}$/);
    expect(keyIdOf(key.publicKeyPem)).toBe(key.keyId);
    expect(keyIdOf(key.privateKeyPem)).toBe(key.keyId);
    expect(other.keyId).not.toBe(key.keyId);
  });

  it('refuses keys that are not Ed25519', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    expect(codeOf(() => keyIdOf(pem))).toBe(FirmwareErrorCode.INVALID_KEY);
    const privatePem = rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    expect(codeOf(() => signManifest(manifest, privatePem))).toBe(FirmwareErrorCode.INVALID_KEY);
    expect(codeOf(() => keyIdOf('not a key'))).toBe(FirmwareErrorCode.INVALID_KEY);
  });
});

describe('signManifest / verifySignedManifest', () => {
  it('signs the canonical bytes, so key order does not change the signature', () => {
    const reordered = Object.fromEntries(Object.entries(manifest).reverse()) as FirmwareManifest;
    const a = signManifest(manifest, key.privateKeyPem);
    const b = signManifest(reordered, key.privateKeyPem);
    expect(a.signature).toEqual(b.signature);
    expect(a.signature).toMatchObject({ alg: 'ed25519', keyId: key.keyId });
    expect(Buffer.from(a.signature.value, 'base64')).toHaveLength(64);
  });

  it('verifies a signed envelope after a JSON round trip', () => {
    const envelope = roundTrip(signManifest(manifest, key.privateKeyPem));
    expect(verifySignedManifest(envelope, trusted)).toEqual({ manifest, keyId: key.keyId });
  });

  it('refuses to sign an invalid manifest', () => {
    const bad = { ...manifest, size: -1 };
    expect(codeOf(() => signManifest(bad, key.privateKeyPem))).toBe(
      FirmwareErrorCode.INVALID_MANIFEST,
    );
  });

  it('detects one flipped byte anywhere in the manifest', () => {
    const envelope = signManifest(manifest, key.privateKeyPem);
    let checked = 0;
    // Flip one character inside each string value; every change must break the signature.
    for (const [field, value] of Object.entries(manifest)) {
      if (typeof value !== 'string') continue;
      const flipped =
        value.slice(0, -1) + String.fromCharCode(value.charCodeAt(value.length - 1) ^ 1);
      const tampered = roundTrip({
        ...envelope,
        manifest: { ...envelope.manifest, [field]: flipped },
      });
      expect(
        codeOf(() => verifySignedManifest(tampered, trusted)),
        field,
      ).toBe(FirmwareErrorCode.BAD_SIGNATURE);
      checked++;
    }
    expect(checked).toBeGreaterThan(4);
    const bigger = roundTrip({ ...envelope, manifest: { ...envelope.manifest, size: 9 } });
    expect(codeOf(() => verifySignedManifest(bigger, trusted))).toBe(
      FirmwareErrorCode.BAD_SIGNATURE,
    );
    const added = roundTrip({
      ...envelope,
      manifest: { ...envelope.manifest, minVersion: '0.0.1' },
    });
    expect(codeOf(() => verifySignedManifest(added, trusted))).toBe(
      FirmwareErrorCode.BAD_SIGNATURE,
    );
  });

  it('detects one flipped bit in the signature', () => {
    const envelope = signManifest(manifest, key.privateKeyPem);
    const raw = Buffer.from(envelope.signature.value, 'base64');
    for (const index of [0, 31, 63]) {
      const bytes = Buffer.from(raw);
      bytes[index] = (bytes[index] ?? 0) ^ 0x01;
      const tampered = roundTrip({
        ...envelope,
        signature: { ...envelope.signature, value: bytes.toString('base64') },
      });
      expect(codeOf(() => verifySignedManifest(tampered, trusted))).toBe(
        FirmwareErrorCode.BAD_SIGNATURE,
      );
    }
    const truncated = roundTrip({
      ...envelope,
      signature: { ...envelope.signature, value: raw.subarray(0, 63).toString('base64') },
    });
    expect(codeOf(() => verifySignedManifest(truncated, trusted))).toBe(
      FirmwareErrorCode.BAD_SIGNATURE,
    );
  });

  it('refuses a signature by another trusted key under this key id', () => {
    const byOther = signManifest(manifest, other.privateKeyPem);
    const relabelled = roundTrip({
      ...byOther,
      signature: { ...byOther.signature, keyId: key.keyId },
    });
    expect(codeOf(() => verifySignedManifest(relabelled, trusted))).toBe(
      FirmwareErrorCode.BAD_SIGNATURE,
    );
  });

  it('refuses unknown keys', () => {
    const stranger = generateReleaseKey();
    const envelope = roundTrip(signManifest(manifest, stranger.privateKeyPem));
    expect(() => verifySignedManifest(envelope, trusted)).toThrow(
      new RegExp(`signed by key ${stranger.keyId}, which is not a trusted release key`),
    );
    expect(codeOf(() => verifySignedManifest(envelope, trusted))).toBe(
      FirmwareErrorCode.UNKNOWN_KEY,
    );
    expect(codeOf(() => verifySignedManifest(envelope, []))).toBe(FirmwareErrorCode.UNKNOWN_KEY);
  });

  it('refuses revoked keys even for a valid signature, while other keys keep working', () => {
    const keys = [trustedKey(key.publicKeyPem, { revoked: true }), trustedKey(other.publicKeyPem)];
    const byRevoked = roundTrip(signManifest(manifest, key.privateKeyPem));
    expect(codeOf(() => verifySignedManifest(byRevoked, keys))).toBe(FirmwareErrorCode.REVOKED_KEY);
    const byOther = roundTrip(signManifest(manifest, other.privateKeyPem));
    expect(verifySignedManifest(byOther, keys).keyId).toBe(other.keyId);
  });

  it('treats a trusted key whose id does not match its PEM as a configuration error', () => {
    const mislabelled = [{ keyId: key.keyId, publicKeyPem: other.publicKeyPem }];
    const envelope = roundTrip(signManifest(manifest, key.privateKeyPem));
    expect(codeOf(() => verifySignedManifest(envelope, mislabelled))).toBe(
      FirmwareErrorCode.INVALID_KEY,
    );
  });

  it('reports INVALID_MANIFEST for a correctly signed manifest that breaks the rules', () => {
    const bad = { ...manifest, sha256: 'not-a-hash' };
    const value = sign(null, Buffer.from(canonicalJson(bad)), key.privateKeyPem).toString('base64');
    const envelope = { manifest: bad, signature: { alg: 'ed25519', keyId: key.keyId, value } };
    expect(() => verifySignedManifest(envelope, trusted)).toThrow(
      /manifest\.sha256: must be 64 lowercase hex/,
    );
  });

  it('names the bad envelope fields', () => {
    const envelope = signManifest(manifest, key.privateKeyPem);
    expect(() =>
      verifySignedManifest(
        { manifest, signature: { ...envelope.signature, alg: 'rsa', keyId: 'K' } },
        trusted,
      ),
    ).toThrow(
      'invalid signed manifest: signature.alg: must be "ed25519"; signature.keyId: must be 16 lowercase hex characters',
    );
    expect(codeOf(() => verifySignedManifest({ manifest }, trusted))).toBe(
      FirmwareErrorCode.INVALID_MANIFEST,
    );
    expect(codeOf(() => verifySignedManifest('{}', trusted))).toBe(
      FirmwareErrorCode.INVALID_MANIFEST,
    );
  });
});
