import { describe, expect, it } from 'vitest';
import {
  formatSelector,
  GATEWAY_SELECTOR_KEYS,
  mergeSelector,
  parseSelector,
  SelectorSyntaxError,
} from '@fleet/contracts';

const parse = (s: string) => parseSelector(s, GATEWAY_SELECTOR_KEYS);

describe('selector syntax', () => {
  it('parses AND terms, OR values and negation', () => {
    expect(parse('site=hcm-d3,tag=streetlight|meter , status!=offline').terms).toEqual([
      { key: 'site', negate: false, values: ['hcm-d3'] },
      { key: 'tag', negate: false, values: ['streetlight', 'meter'] },
      { key: 'status', negate: true, values: ['offline'] },
    ]);
  });

  it('treats an empty selector as "everything"', () => {
    expect(parse('  ').terms).toEqual([]);
  });

  it('round-trips through formatSelector', () => {
    const text = 'site=hcm-d1|hcm-d3,model!=rpi4,firmware=1.2.0';
    expect(formatSelector(parse(text))).toBe(text);
  });

  it.each([
    ['site', 'expected key=value'],
    ['colour=red', 'unknown key "colour"'],
    ['site=', 'empty value for "site"'],
    ['site=a,,tag=b', 'empty term'],
    ['site=hcm d3', 'invalid value "hcm d3"'],
    ['tag=a|', 'empty value for "tag"'],
  ])('rejects %s with a reason', (input, reason) => {
    expect(() => parse(input)).toThrow(SelectorSyntaxError);
    expect(() => parse(input)).toThrow(reason);
  });

  it('reports where the bad term starts', () => {
    try {
      parse('site=a,colour=red');
      expect.unreachable();
    } catch (error) {
      expect((error as SelectorSyntaxError).position).toBe(7);
    }
  });

  it('merges single-key query filters into the selector', () => {
    const merged = mergeSelector(
      parse('site=a'),
      { tag: 'x|y', model: undefined },
      GATEWAY_SELECTOR_KEYS,
    );
    expect(formatSelector(merged)).toBe('site=a,tag=x|y');
  });
});
