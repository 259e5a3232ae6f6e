import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseManifest, type FirmwareManifest } from '@fleet/firmware';
import {
  expectFieldIssues,
  manifestArb,
  overTheWire,
  sampleManifest,
} from '../support/security/firmware-samples.js';
import { hostileJson, nested } from '../support/security/hostile-values.js';
import { mutatedDocument } from '../support/security/json-mutation.js';
import { propertyParameters, withinHangLimit } from '../support/security/property-budget.js';

describe('firmware manifests under random input', () => {
  it('random JSON and mutated manifests give a manifest or INVALID_MANIFEST naming each bad field', () => {
    const input = fc.oneof(
      hostileJson(),
      mutatedDocument(sampleManifest).map((m) => m.value),
      mutatedDocument(sampleManifest).map((m) => overTheWire(m.value)),
      manifestArb,
    );
    const seen = { valid: 0, refused: 0 };
    fc.assert(
      fc.property(input, (value) => {
        let manifest: FirmwareManifest;
        try {
          manifest = withinHangLimit('parseManifest', () => parseManifest(value));
        } catch (error) {
          seen.refused += 1;
          expectFieldIssues(error, /^manifest(\.|$)/);
          return;
        }
        seen.valid += 1;
        // A plain copy holding the manifest fields only, itself valid.
        expect(Object.getPrototypeOf(manifest)).toBe(Object.prototype);
        expect(parseManifest(manifest)).toEqual(manifest);
        for (const [key, v] of Object.entries(manifest))
          expect(v).toEqual((value as Record<string, unknown>)[key]);
      }),
      propertyParameters(),
    );
    expect(seen.valid).toBeGreaterThan(500);
    expect(seen.refused).toBeGreaterThan(500);
  });

  it('an own __proto__ key (as JSON.parse makes it) neither crashes nor reaches the result', () => {
    const input = JSON.parse(
      JSON.stringify(sampleManifest).replace('{', '{"__proto__":null,'),
    ) as unknown;
    const parsed = parseManifest(input);
    expect(parsed).toEqual(sampleManifest);
    expect(Object.getPrototypeOf(parsed)).toBe(Object.prototype);
  });

  it('deeply nested fields are refused, not a stack overflow', () => {
    for (const depth of [1_000, 200_000]) {
      const deep = { ...sampleManifest, releaseNotes: nested(depth, 'array') };
      expect(() => parseManifest(deep)).toThrow('manifest.releaseNotes: must be a string');
    }
  });
});
