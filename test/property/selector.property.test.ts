import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEVICE_SELECTOR_KEYS,
  formatSelector,
  GATEWAY_SELECTOR_KEYS,
  parseSelector,
  SelectorSyntaxError,
  type Selector,
} from '@fleet/contracts';
import { hostileString } from '../support/security/hostile-values.js';
import { propertyParameters, withinHangLimit } from '../support/security/property-budget.js';

/** The value alphabet of the selector syntax (see libs/contracts/src/selector/selector.ts). */
const VALUE = /^[A-Za-z0-9._:/@+-]{1,128}$/;

const KEY_SETS = [
  ['gateway', GATEWAY_SELECTOR_KEYS],
  ['device', DEVICE_SELECTOR_KEYS],
] as const;

/** Text made of the syntax's own pieces, so most inputs get past the first character. */
const selectorish: fc.Arbitrary<string> = fc
  .array(
    fc.oneof(
      fc.constantFrom(...GATEWAY_SELECTOR_KEYS, ...DEVICE_SELECTOR_KEYS, 'colour', 'Site'),
      fc.constantFrom('=', '!=', '==', '!', '|', ',', ' ', '\t', '\n', '\u00a0', '\ufeff'),
      fc.stringMatching(/^[A-Za-z0-9._:/@+-]{1,12}$/),
      fc.string({ unit: 'binary', maxLength: 3 }),
    ),
    { maxLength: 40 },
  )
  .map((parts) => parts.join(''));

const anyInput: fc.Arbitrary<string> = fc.oneof(
  { weight: 5, arbitrary: selectorish },
  { weight: 2, arbitrary: hostileString(200) },
  { weight: 1, arbitrary: fc.string({ minLength: 2000, maxLength: 2100 }) },
  {
    weight: 1,
    // Many terms or many values: the count limits.
    arbitrary: fc
      .tuple(fc.integer({ min: 20, max: 300 }), fc.boolean())
      .map(([n, terms]) =>
        terms
          ? Array.from({ length: n }, (_, i) => `tag=t${i}`).join(',')
          : `tag=${Array.from({ length: n }, (_, i) => `v${i}`).join('|')}`,
      ),
  },
);

function selectorOf(keys: readonly string[]): fc.Arbitrary<Selector> {
  const term = fc.record({
    key: fc.constantFrom(...keys),
    negate: fc.boolean(),
    values: fc.uniqueArray(fc.stringMatching(VALUE), { minLength: 1, maxLength: 6 }),
  });
  return fc.record({ terms: fc.array(term, { maxLength: 8 }) });
}

describe('selector syntax under random input', () => {
  for (const [target, keys] of KEY_SETS) {
    it(`${target} selectors: any string parses to a selector or a SelectorSyntaxError with position and reason`, () => {
      const seen = { parsed: 0, refused: 0 };
      fc.assert(
        fc.property(anyInput, (input) => {
          let selector: Selector;
          try {
            selector = withinHangLimit('parseSelector', () => parseSelector(input, keys));
          } catch (error) {
            seen.refused += 1;
            expect(error).toBeInstanceOf(SelectorSyntaxError);
            const e = error as SelectorSyntaxError;
            expect(e.code).toBe('SELECTOR_INVALID');
            expect(Number.isInteger(e.position)).toBe(true);
            expect(e.position).toBeGreaterThanOrEqual(0);
            expect(e.position).toBeLessThanOrEqual(input.length);
            expect(e.reason.length).toBeGreaterThan(0);
            expect(e.message).toContain(e.reason);
            // The position points at the offending term: on its own it is refused as well.
            if (!/^(longer than|more than \d+ terms|empty term)/.test(e.reason)) {
              const term = input.slice(e.position).split(',')[0]!;
              expect(() => parseSelector(term, keys)).toThrow(SelectorSyntaxError);
            }
            return;
          }
          seen.parsed += 1;
          expect(selector.terms.length).toBeLessThanOrEqual(32);
          for (const term of selector.terms) {
            expect(keys as readonly string[]).toContain(term.key);
            expect(term.values.length).toBeGreaterThan(0);
            for (const value of term.values) expect(value).toMatch(VALUE);
            expect(new Set(term.values).size).toBe(term.values.length);
          }
          // The formatted form is canonical: it parses back to the same selector.
          expect(parseSelector(formatSelector(selector), keys)).toEqual(selector);
        }),
        propertyParameters(),
      );
      // The inputs reach both outcomes often enough for the property to mean something.
      expect(seen.parsed).toBeGreaterThan(500);
      expect(seen.refused).toBeGreaterThan(500);
    });

    it(`${target} selectors: format then parse gives the selector back`, () => {
      fc.assert(
        fc.property(selectorOf(keys), (selector) => {
          const text = formatSelector(selector);
          expect(parseSelector(text, keys)).toEqual(selector);
          expect(formatSelector(parseSelector(text, keys))).toBe(text);
        }),
        propertyParameters(),
      );
    });
  }
});
