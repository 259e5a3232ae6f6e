import { describe, expect, it } from 'vitest';
import {
  formatTerms,
  GATEWAY_KEYS,
  parseSelectorText,
  termValue,
  withTerm,
} from './selector-text.js';

const parse = (text: string) => parseSelectorText(text, GATEWAY_KEYS);

describe('selector text', () => {
  it('reads terms with alternatives and negation, and writes them back', () => {
    const result = parse(' site=hcm-d1|hcm-d3 , status!=offline,tag=streetlight');
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.terms).toEqual([
      { key: 'site', negate: false, values: ['hcm-d1', 'hcm-d3'] },
      { key: 'status', negate: true, values: ['offline'] },
      { key: 'tag', negate: false, values: ['streetlight'] },
    ]);
    expect(formatTerms(result.terms)).toBe('site=hcm-d1|hcm-d3,status!=offline,tag=streetlight');
  });

  it('says what is wrong', () => {
    expect(parse('colour=red')).toEqual({
      ok: false,
      error: `unknown key "colour" (allowed: ${GATEWAY_KEYS.join(', ')})`,
    });
    expect(parse('site=')).toEqual({ ok: false, error: 'empty value for "site"' });
    expect(parse('site=a,,tag=b')).toMatchObject({ ok: false });
    expect(parse('site a')).toMatchObject({ ok: false });
    expect(parse('site=a b')).toEqual({ ok: false, error: 'invalid value "a b" for "site"' });
  });

  it('lets a dropdown set or clear one key without touching what else was typed', () => {
    const start = parse('site=a|b,tag=x');
    if (!start.ok) throw new Error('parse');
    expect(termValue(start.terms, 'site')).toBe('');
    expect(termValue(start.terms, 'tag')).toBe('x');
    expect(formatTerms(withTerm(start.terms, 'site', 'c'))).toBe('site=c,tag=x');
    expect(formatTerms(withTerm(start.terms, 'status', 'online'))).toBe(
      'site=a|b,tag=x,status=online',
    );
    expect(formatTerms(withTerm(start.terms, 'tag', ''))).toBe('site=a|b');
  });
});
