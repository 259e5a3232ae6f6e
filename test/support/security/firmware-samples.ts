import fc from 'fast-check';
import { expect } from 'vitest';
import {
  ARTIFACT_KINDS,
  FirmwareError,
  generateReleaseKey,
  signManifest,
  trustedKey,
  type FirmwareManifest,
  type SignedManifest,
} from '@fleet/firmware';

const semver = fc
  .tuple(
    fc.nat({ max: 999 }),
    fc.nat({ max: 999 }),
    fc.nat({ max: 999 }),
    fc.constantFrom('', '-rc.1', '-beta', '-alpha.2', '-0.3.7'),
  )
  .map(([a, b, c, pre]) => `${a}.${b}.${c}${pre}`);
const identifier = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._+-]{0,20}$/);

/** Valid manifests, optional fields present or not. */
export const manifestArb: fc.Arbitrary<FirmwareManifest> = fc.record(
  {
    version: semver,
    kind: fc.constantFrom(...ARTIFACT_KINDS),
    models: fc.uniqueArray(identifier, { minLength: 1, maxLength: 5 }),
    hardwareRevisions: fc.uniqueArray(identifier, { minLength: 1, maxLength: 3 }),
    minVersion: semver,
    sha256: fc.stringMatching(/^[0-9a-f]{64}$/),
    size: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
    releaseNotes: fc.string({ maxLength: 200 }),
    createdAt: fc
      .date({ min: new Date('1970-01-01'), max: new Date('9999-12-31'), noInvalidDate: true })
      .map((d) => d.toISOString()),
  },
  { requiredKeys: ['version', 'kind', 'models', 'sha256', 'size', 'releaseNotes', 'createdAt'] },
);

/** A trusted release key, a revoked one and one the verifier has never heard of. */
export const keys = {
  release: generateReleaseKey(),
  revoked: generateReleaseKey(),
  stranger: generateReleaseKey(),
};
export const trusted = [
  trustedKey(keys.release.publicKeyPem),
  trustedKey(keys.revoked.publicKeyPem, { revoked: true }),
];

export const sampleManifest: FirmwareManifest = {
  version: '1.4.0',
  kind: 'agent-bundle',
  models: ['rpi4', 'cm4'],
  hardwareRevisions: ['1.4'],
  minVersion: '1.2.0',
  sha256: 'ab'.repeat(32),
  size: 1234,
  releaseNotes: 'Faster polling.',
  createdAt: '2026-03-01T08:30:00.000Z',
};
export const sampleEnvelope: SignedManifest = signManifest(
  sampleManifest,
  keys.release.privateKeyPem,
);

/** What arrives from a file or MQTT: JSON text parsed again (own `__proto__` keys, no -0). */
export function overTheWire(value: unknown): unknown {
  const text = JSON.stringify(value);
  return text === undefined ? undefined : (JSON.parse(text) as unknown);
}

/** An INVALID_MANIFEST error listing field issues, each with a path matching `field` and a reason. */
export function expectFieldIssues(error: unknown, field: RegExp): void {
  expect(error).toBeInstanceOf(FirmwareError);
  const e = error as FirmwareError;
  expect(e.code).toBe('INVALID_MANIFEST');
  const issues = e.details.issues ?? [];
  expect(issues.length).toBeGreaterThan(0);
  for (const issue of issues) {
    expect(issue.field).toMatch(field);
    expect(issue.reason.length).toBeGreaterThan(0);
    expect(e.message).toContain(`${issue.field}: ${issue.reason}`);
  }
}
