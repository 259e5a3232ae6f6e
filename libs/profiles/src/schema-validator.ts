import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { packageRoot } from '@fleet/common';

/** A schema violation with a dotted path and a human reason. */
export interface SchemaViolation {
  path: string;
  message: string;
}

export type SchemaValidator = (data: unknown) => SchemaViolation[];

const PATTERN_HINTS: Readonly<Record<string, string>> = {
  '^[a-z0-9]+(-[a-z0-9]+)*$': 'must be kebab-case (a-z, 0-9 and -)',
  '^\\d+\\.\\d+\\.\\d+(-[0-9A-Za-z.-]+)?$': 'must be a semantic version like 1.0.0',
  '^[a-z][a-z0-9_]*(\\{i\\}[a-z0-9_]*)*$':
    'must be snake_case (a-z, 0-9 and _), with {i} marking a repeated block',
  '^[a-z][A-Za-z0-9]*$': 'must be camelCase (a-z first, then letters and digits)',
  '^[a-z][A-Za-z0-9_]*$': 'must start with a-z and hold only letters, digits and _',
  '^GPIO([0-9]|1[0-9]|2[0-7])$': 'must be a BCM line name GPIO0..GPIO27',
  '^-?[0-9]+$': 'must be an integer',
  '^[A-Za-z0-9_.+-]+$': 'must hold only letters, digits and _ . + -',
};

const schemaDir = (): string => join(packageRoot(), 'device-profiles', 'schema');

function pointerToPath(pointer: string): string[] {
  if (!pointer) return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row.push(Math.min((prev[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost));
    }
    prev = row;
  }
  return prev[b.length] ?? 0;
}

/** The closest allowed name, when it is close enough to be a likely typo. */
export function suggestName(name: string, allowed: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestScore = Infinity;
  for (const a of allowed) {
    const s = editDistance(name.toLowerCase(), a.toLowerCase());
    if (s < bestScore) {
      best = a;
      bestScore = s;
    }
  }
  return best !== undefined && bestScore <= Math.max(2, Math.floor(name.length / 3))
    ? best
    : undefined;
}

function got(data: unknown): string {
  return data === undefined ? '' : ` (got ${JSON.stringify(data)})`;
}

interface SchemaNode {
  properties?: Record<string, unknown>;
  minimum?: number;
  maximum?: number;
}

function toViolation(e: ErrorObject): SchemaViolation | undefined {
  const path = pointerToPath(e.instancePath);
  const params = e.params as Record<string, unknown>;
  const parent = (e.parentSchema ?? {}) as SchemaNode;
  const join_ = (extra?: string): string =>
    [...path, ...(extra === undefined ? [] : [extra])].join('.');
  switch (e.keyword) {
    case 'if':
    case 'propertyNames':
    case 'allOf':
      return undefined;
    case 'required':
      return { path: join_(String(params.missingProperty)), message: 'is required' };
    case 'additionalProperties': {
      const name = String(params.additionalProperty);
      const allowed = Object.keys(parent.properties ?? {});
      const hint = suggestName(name, allowed);
      return {
        path: join_(name),
        message: hint
          ? `unknown property (did you mean "${hint}"?)`
          : `unknown property (allowed: ${allowed.join(', ')})`,
      };
    }
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum': {
      const { minimum, maximum } = parent;
      const message =
        minimum !== undefined && maximum !== undefined
          ? `must be ${minimum}..${maximum}`
          : `must be ${String(params.comparison)} ${String(params.limit)}`;
      return { path: join_(), message: message + got(e.data) };
    }
    case 'type': {
      const t = String(params.type).replace(/,/g, ' or ');
      const article = /^[aeiou]/.test(t) ? 'an' : 'a';
      return { path: join_(), message: `must be ${article} ${t}${got(e.data)}` };
    }
    case 'enum':
      return {
        path: join_(),
        message: `must be one of: ${(params.allowedValues as unknown[]).map(String).join(', ')}${got(e.data)}`,
      };
    case 'pattern': {
      const pattern = String(params.pattern);
      const propertyName = (e as ErrorObject & { propertyName?: string }).propertyName;
      const hint = PATTERN_HINTS[pattern] ?? `must match ${pattern}`;
      return propertyName !== undefined
        ? { path: join_(propertyName), message: `name ${hint}` }
        : { path: join_(), message: hint + got(e.data) };
    }
    case 'not':
      return { path: join_(), message: `must not be ${JSON.stringify(e.data)}` };
    case 'minProperties':
      return {
        path: join_(),
        message: `must have at least ${String(params.limit)} entr${params.limit === 1 ? 'y' : 'ies'}`,
      };
    case 'minItems':
      return { path: join_(), message: `must have at least ${String(params.limit)} item(s)` };
    case 'uniqueItems':
      return {
        path: join_(),
        message: `must not repeat values (items ${String(params.j)} and ${String(params.i)} are equal)`,
      };
    case 'minLength':
      return { path: join_(), message: 'must not be empty' };
    default:
      return { path: join_(), message: e.message ?? `fails ${e.keyword}` };
  }
}

const cache = new Map<string, ValidateFunction>();

/** Compiles (once) a schema published in device-profiles/schema and returns a validator. */
export function schemaValidator(fileName: string): SchemaValidator {
  let validate = cache.get(fileName);
  if (!validate) {
    const schema = JSON.parse(readFileSync(join(schemaDir(), fileName), 'utf8')) as object;
    const ajv = new Ajv({
      allErrors: true,
      verbose: true,
      strict: true,
      strictTypes: false,
      strictRequired: false,
    });
    validate = ajv.compile(schema);
    cache.set(fileName, validate);
  }
  const fn = validate;
  return (data) => {
    if (fn(data)) return [];
    const seen = new Set<string>();
    const out: SchemaViolation[] = [];
    for (const e of fn.errors ?? []) {
      const v = toViolation(e);
      if (!v) continue;
      const key = `${v.path}\u0000${v.message}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(v);
    }
    return out;
  };
}
