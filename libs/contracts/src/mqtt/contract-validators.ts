import { ValidateBy, ValidateIf, type ValidationOptions } from 'class-validator';

/** Database-style ids (UUIDs, numeric strings, prefixed ids): no spaces, no MQTT wildcards. */
export const ENTITY_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;
/** Point, parameter and command names as they appear in device profiles. */
export const NAME_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
/** Epoch milliseconds; the upper bound is the largest valid JS Date. */
export const MAX_TIMESTAMP_MS = 8.64e15;
export const MAX_STRING_VALUE_LENGTH = 1024;
export const MAX_FLAGS = 64;

/** A decoded point value on the wire: number, boolean, string or a named set of flags. */
export type WireValue = number | boolean | string | Record<string, boolean>;
/** A command parameter value. */
export type ParamValue = number | boolean | string;

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function isParamValue(value: unknown): value is ParamValue {
  if (typeof value === 'number') return Number.isFinite(value);
  if (typeof value === 'boolean') return true;
  return typeof value === 'string' && value.length <= MAX_STRING_VALUE_LENGTH;
}

export function isWireValue(value: unknown): value is WireValue {
  if (isParamValue(value)) return true;
  if (!isPlainObject(value)) return false;
  const keys = Object.keys(value);
  if (keys.length > MAX_FLAGS) return false;
  return keys.every((k) => NAME_PATTERN.test(k) && typeof value[k] === 'boolean');
}

function isRecordOf(value: unknown, check: (v: unknown) => boolean, maxKeys: number): boolean {
  if (!isPlainObject(value)) return false;
  const keys = Object.keys(value);
  return keys.length <= maxKeys && keys.every((k) => NAME_PATTERN.test(k) && check(value[k]));
}

/**
 * Constraint name of validators that check a whole array of small records in one loop (hot paths
 * such as telemetry readings, where a class instance per element costs ~20 µs). Their message
 * holds one issue per line as `<sub-path>\t<message>`; the codec turns those into full paths.
 */
export const ELEMENT_ISSUES_CONSTRAINT = 'elementIssues';

export interface ElementIssue {
  /** Relative to the property, e.g. `[3].ts`. */
  subPath: string;
  message: string;
}

/**
 * Validates an array of plain records with a hand-written element check, reporting up to `limit`
 * element issues with their paths.
 */
export function EachElement(
  check: (element: unknown, index: number) => ElementIssue[],
  limit = 20,
): PropertyDecorator {
  const issuesOf = (value: unknown): ElementIssue[] => {
    if (!Array.isArray(value)) return [];
    const issues: ElementIssue[] = [];
    for (let i = 0; i < value.length && issues.length < limit; i++)
      issues.push(...check(value[i], i));
    return issues.slice(0, limit);
  };
  return ValidateBy({
    name: ELEMENT_ISSUES_CONSTRAINT,
    validator: {
      validate: (value: unknown) => issuesOf(value).length === 0,
      defaultMessage: (args) =>
        issuesOf(args?.value)
          .map((issue) => `${issue.subPath}\t${issue.message}`)
          .join('\n'),
    },
  });
}

/** Validates only when the property is present: `null` is rejected, unlike `@IsOptional()`. */
export function Optional(): PropertyDecorator {
  return ValidateIf((_object: unknown, value: unknown) => value !== undefined);
}

export function IsWireValue(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isWireValue',
      validator: {
        validate: (value: unknown) => isWireValue(value),
        defaultMessage: (args) =>
          `${args?.property ?? 'value'} must be a finite number, a boolean, a string of at most ${MAX_STRING_VALUE_LENGTH} characters or an object of at most ${MAX_FLAGS} boolean flags`,
      },
    },
    options,
  );
}

export function IsWireValueRecord(maxKeys: number, options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isWireValueRecord',
      validator: {
        validate: (value: unknown) => isRecordOf(value, isWireValue, maxKeys),
        defaultMessage: (args) =>
          `${args?.property ?? 'value'} must be an object of at most ${maxKeys} point names mapped to numbers, booleans, strings or flag objects`,
      },
    },
    options,
  );
}

export function IsParamRecord(maxKeys: number, options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isParamRecord',
      validator: {
        validate: (value: unknown) => isRecordOf(value, isParamValue, maxKeys),
        defaultMessage: (args) =>
          `${args?.property ?? 'value'} must be an object of at most ${maxKeys} parameter names mapped to finite numbers, booleans or strings`,
      },
    },
    options,
  );
}

export function IsPlainObject(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isPlainObject',
      validator: {
        validate: (value: unknown) => isPlainObject(value),
        defaultMessage: (args) => `${args?.property ?? 'value'} must be a JSON object`,
      },
    },
    options,
  );
}
