import {
  ArrayMaxSize,
  ArrayNotEmpty,
  ArrayUnique,
  IsArray,
  IsIn,
  IsString,
  Matches,
  MaxLength,
  ValidateBy,
  ValidateIf,
  type ValidationOptions,
} from 'class-validator';
import { valid as validSemver } from 'semver';

export const ARTIFACT_KINDS = ['agent-bundle', 'rauc-bundle'] as const;
export type ArtifactKind = (typeof ARTIFACT_KINDS)[number];

/** What a release says about itself. Plain JSON data; signed as canonical JSON (see canonicalJson). */
export interface FirmwareManifest {
  /** Semantic version of the release, e.g. `1.4.0` or `2.0.0-rc.1` (no leading `v`). */
  readonly version: string;
  readonly kind: ArtifactKind;
  /** Gateway models this release runs on; at least one. */
  readonly models: readonly string[];
  /** Hardware revisions it runs on; absent means every revision of the listed models. */
  readonly hardwareRevisions?: readonly string[];
  /** The gateway must already run at least this version to take the release. */
  readonly minVersion?: string;
  /** SHA-256 of the artifact, 64 lowercase hex characters. */
  readonly sha256: string;
  /** Artifact size in bytes. */
  readonly size: number;
  readonly releaseNotes: string;
  /** ISO 8601 UTC timestamp as produced by `Date.prototype.toISOString()`. */
  readonly createdAt: string;
}

export const MANIFEST_LIMITS = {
  identifierLength: 64,
  listSize: 256,
  releaseNotesLength: 64 * 1024,
} as const;

const IDENTIFIER = /^[A-Za-z0-9][A-Za-z0-9._+-]*$/;
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

function IsStrictSemver(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isStrictSemver',
      validator: {
        validate: (value: unknown) => typeof value === 'string' && validSemver(value) === value,
        defaultMessage: () => 'must be a semantic version such as 1.4.0 (no leading "v")',
      },
    },
    options,
  );
}

function IsSafeSize(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isSafeSize',
      validator: {
        validate: (value: unknown) =>
          typeof value === 'number' && Number.isSafeInteger(value) && value > 0,
        defaultMessage: () => 'must be a positive whole number of bytes',
      },
    },
    options,
  );
}

function IsIsoUtc(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isIsoUtc',
      validator: {
        validate: (value: unknown) =>
          typeof value === 'string' &&
          ISO_UTC.test(value) &&
          new Date(value).toISOString() === value,
        defaultMessage: () => 'must be an ISO 8601 UTC timestamp like 2026-01-31T12:00:00.000Z',
      },
    },
    options,
  );
}

const identifierList = (what: string): PropertyDecorator[] => [
  IsArray({ message: `must be a list of ${what}` }),
  ArrayNotEmpty({ message: `must list at least one ${what.replace(/s$/, '')}` }),
  ArrayMaxSize(MANIFEST_LIMITS.listSize, {
    message: `must list at most ${MANIFEST_LIMITS.listSize} ${what}`,
  }),
  ArrayUnique({ message: `must not repeat ${what}` }),
  IsString({ each: true, message: `must contain only strings` }),
  MaxLength(MANIFEST_LIMITS.identifierLength, {
    each: true,
    message: `entries must be at most ${MANIFEST_LIMITS.identifierLength} characters`,
  }),
  Matches(IDENTIFIER, {
    each: true,
    message: 'entries must start with a letter or digit and use only letters, digits and . _ + -',
  }),
];

const apply =
  (decorators: PropertyDecorator[]): PropertyDecorator =>
  (target, key) => {
    for (const d of decorators) d(target, key);
  };

/**
 * class-validator shape of a manifest: the same rules for the control plane's upload API (nest it with
 * `@ValidateNested()`), the agent's MQTT payloads and fleetctl. Use `parseManifest` to validate.
 */
export class FirmwareManifestDto implements FirmwareManifest {
  @IsStrictSemver()
  version!: string;

  @IsIn(ARTIFACT_KINDS, { message: `must be one of ${ARTIFACT_KINDS.join(', ')}` })
  kind!: ArtifactKind;

  @apply(identifierList('models'))
  models!: string[];

  @ValidateIf((o: FirmwareManifestDto) => o.hardwareRevisions !== undefined)
  @apply(identifierList('hardware revisions'))
  hardwareRevisions?: string[];

  @ValidateIf((o: FirmwareManifestDto) => o.minVersion !== undefined)
  @IsStrictSemver()
  minVersion?: string;

  @Matches(/^[0-9a-f]{64}$/, { message: 'must be 64 lowercase hex characters (SHA-256)' })
  sha256!: string;

  @IsSafeSize()
  size!: number;

  // Decorators apply bottom-up and validation stops at the first failure: the type check goes last.
  @MaxLength(MANIFEST_LIMITS.releaseNotesLength, {
    message: `must be at most ${MANIFEST_LIMITS.releaseNotesLength} characters`,
  })
  @IsString({ message: 'must be a string (may be empty)' })
  releaseNotes!: string;

  @IsIsoUtc()
  createdAt!: string;
}
