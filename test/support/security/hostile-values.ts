import fc from 'fast-check';

/** Strings that stress parsers: any code unit (lone surrogates included), controls, long runs. */
export const hostileString = (maxLength = 64): fc.Arbitrary<string> =>
  fc.oneof(
    fc.string({ maxLength }),
    fc.string({ unit: 'binary', maxLength }),
    fc.string({ unit: fc.constantFrom('\u0000', '\ud800', '\udfff', '\u202e', '\n', '\t', ' ') }),
    fc.constantFrom('', ' ', '__proto__', 'constructor', 'prototype', 'toString', '\u0000'),
  );

/** Any JSON value, including the awkward ones (huge and tiny numbers, -0, deep nesting). */
export const hostileJson = (maxDepth = 4): fc.Arbitrary<unknown> =>
  fc.oneof(
    { weight: 4, arbitrary: fc.jsonValue({ maxDepth }) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        -0,
        1e308,
        -1e308,
        5e-324,
        2 ** 53 + 1,
        -(2 ** 31),
        2 ** 32,
        0.1,
        Number.MAX_SAFE_INTEGER,
      ),
    },
    { weight: 1, arbitrary: hostileString() },
    { weight: 1, arbitrary: deepNesting() },
  );

/** An array or object nested `depth` levels deep (stack-depth attacks on recursive code). */
export function nested(depth: number, kind: 'array' | 'object', leaf: unknown = 1): unknown {
  let value: unknown = leaf;
  for (let i = 0; i < depth; i++) value = kind === 'array' ? [value] : { a: value };
  return value;
}

const deepNesting = (): fc.Arbitrary<unknown> =>
  fc
    .tuple(fc.integer({ min: 50, max: 300 }), fc.constantFrom('array' as const, 'object' as const))
    .map(([depth, kind]) => nested(depth, kind));
