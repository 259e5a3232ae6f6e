import { FirmwareError, FirmwareErrorCode, type FieldIssue } from './firmware-error.js';
import type { FirmwareManifest } from './firmware-manifest.dto.js';

export interface ManifestSignature {
  readonly alg: 'ed25519';
  /** Key id of the release key (see `keyIdOf`). */
  readonly keyId: string;
  /** Base64 of the 64-byte Ed25519 signature over `canonicalJson(manifest)`. */
  readonly value: string;
}

/** What travels with an artifact: the manifest and a detached signature over its canonical bytes. */
export interface SignedManifest {
  readonly manifest: FirmwareManifest;
  readonly signature: ManifestSignature;
}

export const KEY_ID_PATTERN = /^[0-9a-f]{16}$/;

/**
 * Checks the envelope's shape (not the manifest's content, which is checked after the signature so
 * that tampering reads as BAD_SIGNATURE). Returns the manifest as received, still unvalidated.
 */
export function parseEnvelope(input: unknown): { manifest: unknown; signature: ManifestSignature } {
  const issues: FieldIssue[] = [];
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw FirmwareError.fromIssues(FirmwareErrorCode.INVALID_MANIFEST, 'invalid signed manifest', [
      { field: 'envelope', reason: 'must be a JSON object { manifest, signature }' },
    ]);
  }
  const env = input as Record<string, unknown>;
  for (const key of Object.keys(env))
    if (key !== 'manifest' && key !== 'signature')
      issues.push({ field: key, reason: 'is not an envelope field' });
  if (typeof env.manifest !== 'object' || env.manifest === null || Array.isArray(env.manifest))
    issues.push({ field: 'manifest', reason: 'must be a JSON object' });
  const sig = env.signature;
  if (typeof sig !== 'object' || sig === null || Array.isArray(sig)) {
    issues.push({ field: 'signature', reason: 'must be an object { alg, keyId, value }' });
  } else {
    const s = sig as Record<string, unknown>;
    for (const key of Object.keys(s))
      if (key !== 'alg' && key !== 'keyId' && key !== 'value')
        issues.push({ field: `signature.${key}`, reason: 'is not a signature field' });
    if (s.alg !== 'ed25519') issues.push({ field: 'signature.alg', reason: 'must be "ed25519"' });
    if (typeof s.keyId !== 'string' || !KEY_ID_PATTERN.test(s.keyId))
      issues.push({ field: 'signature.keyId', reason: 'must be 16 lowercase hex characters' });
    if (typeof s.value !== 'string' || s.value.length === 0)
      issues.push({ field: 'signature.value', reason: 'must be a base64 string' });
  }
  if (issues.length > 0)
    throw FirmwareError.fromIssues(
      FirmwareErrorCode.INVALID_MANIFEST,
      'invalid signed manifest',
      issues,
    );
  return { manifest: env.manifest, signature: sig as ManifestSignature };
}
