import fc from 'fast-check';
import { sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  canonicalJson,
  FirmwareError,
  manifestSigningBytes,
  parseManifest,
  signManifest,
  toPrivateKey,
  verifySignedManifest,
  type SignedManifest,
} from '@fleet/firmware';
import {
  expectFieldIssues,
  keys,
  manifestArb,
  overTheWire,
  sampleEnvelope,
  sampleManifest,
  trusted,
} from '../support/security/firmware-samples.js';
import { hostileJson, nested } from '../support/security/hostile-values.js';
import { mutatedDocument } from '../support/security/json-mutation.js';
import { propertyParameters, withinHangLimit } from '../support/security/property-budget.js';

const ENVELOPE_CODES = ['INVALID_MANIFEST', 'UNKNOWN_KEY', 'REVOKED_KEY', 'BAD_SIGNATURE'];
// Ed25519 signing costs milliseconds on a loaded 2-core machine: the round trips run fewer cases
// than the verifier's own 10,000-case property.
const SIGNING_RUNS = 1_000;
const releaseKey = toPrivateKey(keys.release.privateKeyPem);

describe('signed firmware envelopes under random input', () => {
  it('a mutated envelope never verifies unless its signed bytes are unchanged; refusals are typed', () => {
    const input = fc.oneof(
      { weight: 6, arbitrary: mutatedDocument(sampleEnvelope).map((m) => m.value) },
      { weight: 2, arbitrary: mutatedDocument(sampleEnvelope).map((m) => overTheWire(m.value)) },
      { weight: 1, arbitrary: hostileJson() },
      {
        weight: 1,
        // The same manifest signed by a revoked key, or by one the gateway does not know.
        arbitrary: fc.constantFrom(
          signManifest(sampleManifest, keys.revoked.privateKeyPem),
          signManifest(sampleManifest, keys.stranger.privateKeyPem),
        ),
      },
    );
    const seen: Record<string, number> = {};
    fc.assert(
      fc.property(input, (envelope) => {
        try {
          const verified = withinHangLimit('verifySignedManifest', () =>
            verifySignedManifest(envelope, trusted),
          );
          seen.verified = (seen.verified ?? 0) + 1;
          const e = envelope as SignedManifest;
          expect(canonicalJson(e.manifest)).toBe(canonicalJson(sampleManifest));
          expect(e.signature.value).toBe(sampleEnvelope.signature.value);
          expect(verified).toEqual({ manifest: sampleManifest, keyId: keys.release.keyId });
        } catch (error) {
          expect(error).toBeInstanceOf(FirmwareError);
          const e = error as FirmwareError;
          seen[e.code] = (seen[e.code] ?? 0) + 1;
          expect(ENVELOPE_CODES).toContain(e.code);
          if (e.code === 'INVALID_MANIFEST') expectFieldIssues(e, /^/);
          else expect(e.message).toMatch(/key [0-9a-f]{16}/);
        }
      }),
      propertyParameters(),
    );
    for (const code of ENVELOPE_CODES) expect(seen[code], code).toBeGreaterThan(50);
  });

  it('every valid manifest signs and verifies back to itself', () => {
    fc.assert(
      fc.property(manifestArb, (manifest) => {
        const signed = overTheWire(signManifest(manifest, keys.release.privateKeyPem));
        expect(verifySignedManifest(signed, trusted)).toEqual({
          manifest: parseManifest(manifest),
          keyId: keys.release.keyId,
        });
      }),
      propertyParameters({ numRuns: SIGNING_RUNS }),
    );
  });

  it('content that was signed but is not a valid manifest is refused with field issues', () => {
    fc.assert(
      fc.property(mutatedDocument(sampleManifest), ({ value }) => {
        const manifest = overTheWire(value);
        let signature: string;
        try {
          signature = sign(null, manifestSigningBytes(manifest), releaseKey).toString('base64');
        } catch (error) {
          // Not JSON data a signer could sign (a bare `undefined`, or nested past the limit).
          expect(error).toBeInstanceOf(FirmwareError);
          return;
        }
        const envelope = {
          manifest,
          signature: { alg: 'ed25519', keyId: keys.release.keyId, value: signature },
        };
        try {
          expect(verifySignedManifest(envelope, trusted).manifest).toEqual(parseManifest(manifest));
        } catch (error) {
          expectFieldIssues(error, /^(manifest|envelope)(\.|$)/);
        }
      }),
      propertyParameters({ numRuns: SIGNING_RUNS }),
    );
  });

  it('deeply nested content is refused as an invalid manifest, not a stack overflow', () => {
    for (const depth of [100, 20_000, 200_000]) {
      const deep = {
        ...sampleEnvelope,
        manifest: { ...sampleManifest, releaseNotes: nested(depth, 'array') },
      };
      expect(() => verifySignedManifest(deep, trusted)).toThrow(
        /invalid signed manifest: manifest\.releaseNotes(\[0\])+: is nested deeper than 64 levels/,
      );
    }
  });
});
