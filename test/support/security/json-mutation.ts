import fc from 'fast-check';
import { hostileJson, hostileString, nested } from './hostile-values.js';

/** Every path (array of keys) to a value inside a JSON-like document, the root included. */
export function pathsOf(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = [prefix];
  if (Array.isArray(value)) {
    value.forEach((v, i) => out.push(...pathsOf(v, [...prefix, i])));
  } else if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) out.push(...pathsOf(v, [...prefix, k]));
  }
  return out;
}

export type Mutation =
  | { kind: 'drop' }
  | { kind: 'replace'; value: unknown }
  | { kind: 'retype' }
  | { kind: 'huge'; value: number }
  | { kind: 'nest'; depth: number }
  | { kind: 'add'; key: string; value: unknown };

export const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.constant({ kind: 'drop' } as const),
  hostileJson(3).map((value) => ({ kind: 'replace', value }) as const),
  fc.constant({ kind: 'retype' } as const),
  fc
    .constantFrom(
      1e308,
      -1e308,
      2 ** 64,
      -(2 ** 63),
      1e21,
      2 ** 53 + 2,
      65_536,
      -1,
      0.5,
      4_294_967_296,
    )
    .map((value) => ({ kind: 'huge', value }) as const),
  fc.integer({ min: 2, max: 300 }).map((depth) => ({ kind: 'nest', depth }) as const),
  fc
    .tuple(hostileString(16), hostileJson(2))
    .map(([key, value]) => ({ kind: 'add', key, value }) as const),
);

/** The same value as another JSON type: numbers become strings, strings numbers, and so on. */
export function retype(value: unknown): unknown {
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return Number.isNaN(Number(value)) ? [value] : Number(value);
  if (typeof value === 'boolean') return value ? 'true' : 0;
  if (Array.isArray(value))
    return Object.fromEntries(value.map((v, i) => [String(i), v as unknown]));
  if (value === null) return {};
  if (typeof value === 'object') return Object.values(value);
  return null;
}

/** A deep copy of `doc` with one mutation applied at `path` (root mutations replace the document). */
export function mutateAt(doc: unknown, path: readonly (string | number)[], m: Mutation): unknown {
  const copy = structuredClone(doc) as unknown;
  if (path.length === 0) {
    if (m.kind === 'add' && typeof copy === 'object' && copy !== null && !Array.isArray(copy)) {
      Object.defineProperty(copy, m.key, {
        value: m.value,
        enumerable: true,
        writable: true,
        configurable: true,
      });
      return copy;
    }
    return applyTo(copy, m).value;
  }
  let parent = copy as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  const next = applyTo(parent[last], m);
  if (next.drop) {
    if (Array.isArray(parent)) parent.splice(Number(last), 1);
    else Reflect.deleteProperty(parent, last);
  } else {
    // defineProperty so keys like __proto__ become own data properties, as JSON.parse makes them.
    Object.defineProperty(parent, last, {
      value: next.value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return copy;
}

function applyTo(value: unknown, m: Mutation): { drop: boolean; value: unknown } {
  switch (m.kind) {
    case 'drop':
      return { drop: true, value: undefined };
    case 'replace':
      return { drop: false, value: m.value };
    case 'retype':
      return { drop: false, value: retype(value) };
    case 'huge':
      return { drop: false, value: m.value };
    case 'nest':
      return { drop: false, value: nested(m.depth, 'array', value) };
    case 'add': {
      if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
        const out = { ...(value as Record<string, unknown>) };
        Object.defineProperty(out, m.key, {
          value: m.value,
          enumerable: true,
          writable: true,
          configurable: true,
        });
        return { drop: false, value: out };
      }
      if (Array.isArray(value)) return { drop: false, value: [...(value as unknown[]), m.value] };
      return { drop: false, value: m.value };
    }
  }
}

/** Picks one path of `doc` and one mutation: the mutated-document arbitrary for a valid document. */
export function mutatedDocument(
  doc: unknown,
): fc.Arbitrary<{ path: (string | number)[]; mutation: Mutation; value: unknown }> {
  const paths = pathsOf(doc);
  return fc
    .tuple(fc.constantFrom(...paths), mutationArb)
    .map(([path, mutation]) => ({ path, mutation, value: mutateAt(doc, path, mutation) }));
}
