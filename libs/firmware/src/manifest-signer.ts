import { sign, verify } from 'node:crypto';
import { canonicalJson } from './canonical-json.js';
import { FirmwareError, FirmwareErrorCode } from './firmware-error.js';
import type { FirmwareManifest } from './firmware-manifest.dto.js';
import { parseManifest } from './parse-manifest.js';
import { keyIdOf, toPrivateKey, toPublicKey } from './release-key.js';
import { parseEnvelope, type SignedManifest } from './signed-manifest.js';

/** A release public key a verifier trusts, e.g. pinned in the agent's configuration. */
export interface TrustedKey {
  /** Must equal `keyIdOf(publicKeyPem)`; checked, so a mislabelled key is a configuration error. */
  readonly keyId: string;
  readonly publicKeyPem: string;
  /** A revoked key verifies nothing, whatever it signed before. */
  readonly revoked?: boolean;
}

export interface VerifiedManifest {
  readonly manifest: FirmwareManifest;
  readonly keyId: string;
}

/** Builds a TrustedKey from a PEM public key, deriving its key id. */
export function trustedKey(publicKeyPem: string, options: { revoked?: boolean } = {}): TrustedKey {
  return { keyId: keyIdOf(publicKeyPem), publicKeyPem, revoked: options.revoked ?? false };
}

/** Bytes that get signed: canonical JSON of the manifest, UTF-8. */
export function manifestSigningBytes(manifest: unknown): Buffer {
  return Buffer.from(canonicalJson(manifest), 'utf8');
}

/** Validates the manifest, then signs its canonical bytes with an Ed25519 private key (PEM). */
export function signManifest(manifest: FirmwareManifest, privateKeyPem: string): SignedManifest {
  const clean = parseManifest(manifest);
  const privateKey = toPrivateKey(privateKeyPem);
  const value = sign(null, manifestSigningBytes(clean), privateKey).toString('base64');
  return { manifest: clean, signature: { alg: 'ed25519', keyId: keyIdOf(privateKey), value } };
}

/**
 * Verifies an envelope (parsed JSON, untrusted) against trusted release keys. Order: envelope shape
 * (INVALID_MANIFEST) → key known (UNKNOWN_KEY) → not revoked (REVOKED_KEY) → signature over the
 * canonical manifest (BAD_SIGNATURE) → manifest content (INVALID_MANIFEST).
 */
export function verifySignedManifest(
  envelope: unknown,
  trustedKeys: readonly TrustedKey[],
): VerifiedManifest {
  const { manifest, signature } = parseEnvelope(envelope);
  const key = trustedKeys.find((k) => k.keyId === signature.keyId);
  if (!key)
    throw new FirmwareError(
      FirmwareErrorCode.UNKNOWN_KEY,
      `manifest is signed by key ${signature.keyId}, which is not a trusted release key`,
      { keyId: signature.keyId },
    );
  if (key.revoked)
    throw new FirmwareError(
      FirmwareErrorCode.REVOKED_KEY,
      `manifest is signed by key ${signature.keyId}, which has been revoked`,
      { keyId: signature.keyId },
    );
  const publicKey = toPublicKey(key.publicKeyPem);
  const actualId = keyIdOf(publicKey);
  if (actualId !== key.keyId)
    throw new FirmwareError(
      FirmwareErrorCode.INVALID_KEY,
      `trusted key labelled ${key.keyId} is really ${actualId}: fix the key configuration`,
      { keyId: key.keyId },
    );
  const sig = decodeSignature(signature.value);
  if (!sig || !verify(null, signingBytesOf(manifest), publicKey, sig))
    throw new FirmwareError(
      FirmwareErrorCode.BAD_SIGNATURE,
      `signature does not verify with key ${key.keyId}: the manifest or the signature was altered`,
      { keyId: key.keyId },
    );
  return { manifest: parseManifest(manifest), keyId: key.keyId };
}

/** Canonical bytes of an untrusted manifest; content that is not JSON data is an invalid manifest. */
function signingBytesOf(manifest: unknown): Buffer {
  try {
    return manifestSigningBytes(manifest);
  } catch (error) {
    if (!FirmwareError.is(error, FirmwareErrorCode.INVALID_ARGUMENT)) throw error;
    const issues = (error.details.issues ?? []).map((i) => ({
      field: i.field.replace(/^\$/, 'manifest'),
      reason: i.reason,
    }));
    throw FirmwareError.fromIssues(
      FirmwareErrorCode.INVALID_MANIFEST,
      'invalid signed manifest',
      issues,
    );
  }
}

// Strict: exactly 64 bytes in canonical padded base64, so no two strings decode to one signature.
function decodeSignature(value: string): Buffer | undefined {
  if (!/^[A-Za-z0-9+/]{86}==$/.test(value)) return undefined;
  const bytes = Buffer.from(value, 'base64');
  return bytes.length === 64 && bytes.toString('base64') === value ? bytes : undefined;
}
