import { validateSync, type ValidationError } from 'class-validator';
import { FirmwareError, FirmwareErrorCode, type FieldIssue } from './firmware-error.js';
import { FirmwareManifestDto, type FirmwareManifest } from './firmware-manifest.dto.js';

const FIELDS = [
  'version',
  'kind',
  'models',
  'hardwareRevisions',
  'minVersion',
  'sha256',
  'size',
  'releaseNotes',
  'createdAt',
] as const satisfies readonly (keyof FirmwareManifest)[];

const REQUIRED = [
  'version',
  'kind',
  'models',
  'sha256',
  'size',
  'releaseNotes',
  'createdAt',
] as const satisfies readonly (keyof FirmwareManifest)[];

/**
 * Validates untrusted input as a manifest and returns a plain copy holding only manifest fields.
 * Throws `FirmwareError(INVALID_MANIFEST)` naming every bad field (`manifest.sha256: must be ...`).
 */
export function parseManifest(input: unknown, path = 'manifest'): FirmwareManifest {
  const issues = manifestIssues(input, path);
  if (issues.length > 0)
    throw FirmwareError.fromIssues(FirmwareErrorCode.INVALID_MANIFEST, 'invalid manifest', issues);
  const source = input as Record<string, unknown>;
  const copy: Record<string, unknown> = {};
  for (const field of FIELDS) {
    const value = source[field];
    if (value === undefined) continue;
    copy[field] = Array.isArray(value) ? [...(value as unknown[])] : value;
  }
  return copy as unknown as FirmwareManifest;
}

/** Every problem with `input` as a manifest; empty when it is valid. */
export function manifestIssues(input: unknown, path = 'manifest'): FieldIssue[] {
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    return [{ field: path, reason: 'must be a JSON object' }];
  const record = input as Record<string, unknown>;
  const missing = REQUIRED.filter((field) => record[field] === undefined);
  // defineProperty, not Object.assign: an own `__proto__` key (JSON.parse makes those) would
  // otherwise replace the DTO's prototype and take the validation metadata with it.
  const dto = new FirmwareManifestDto();
  for (const [key, value] of Object.entries(record))
    Object.defineProperty(dto, key, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  const errors = validateSync(dto, {
    whitelist: true,
    forbidNonWhitelisted: true,
    stopAtFirstError: true,
    validationError: { target: false, value: false },
  });
  return [
    ...missing.map((field) => ({ field: `${path}.${field}`, reason: 'is required' })),
    ...errors
      .filter((e) => !(missing as readonly string[]).includes(e.property))
      .flatMap((e) => toIssues(e, path)),
  ];
}

function toIssues(error: ValidationError, parent: string): FieldIssue[] {
  const field = `${parent}.${error.property}`;
  const own = Object.entries(error.constraints ?? {}).map(([name, message]) => ({
    field,
    // whitelistValidation's default message repeats the property name; say it our way.
    reason: name === 'whitelistValidation' ? 'is not a manifest field' : message,
  }));
  return [...own, ...(error.children ?? []).flatMap((c) => toIssues(c, field))];
}
