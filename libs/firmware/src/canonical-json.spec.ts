import { describe, expect, it } from 'vitest';
import { canonicalJson } from './canonical-json.js';
import { FirmwareError } from './firmware-error.js';

describe('canonicalJson', () => {
  it('sorts keys at every depth and writes no whitespace', () => {
    const value = { b: 1, a: { d: [3, { z: true, y: null }], c: 'x y' } };
    expect(canonicalJson(value)).toBe('{"a":{"c":"x y","d":[3,{"y":null,"z":true}]},"b":1}');
  });

  it('gives the same bytes whatever order the keys were inserted in', () => {
    const one = { version: '1.0.0', models: ['m2', 'm1'], size: 10 };
    const two = { size: 10, models: ['m2', 'm1'], version: '1.0.0' };
    expect(canonicalJson(one)).toBe(canonicalJson(two));
  });

  it('keeps array order, because order in a list is data', () => {
    expect(canonicalJson(['b', 'a'])).not.toBe(canonicalJson(['a', 'b']));
  });

  it('sorts keys by UTF-16 code unit and escapes strings like JSON.stringify', () => {
    expect(canonicalJson({ é: 1, z: 2, Z: 3, '\u2028': 'a"b\n' })).toBe(
      '{"Z":3,"z":2,"é":1,"\u2028":"a\\"b\\n"}',
    );
  });

  it('drops undefined members, as JSON would', () => {
    expect(canonicalJson({ a: undefined, b: 2 })).toBe('{"b":2}');
  });

  it('refuses what is not JSON data, naming the path', () => {
    expect(() => canonicalJson({ a: [1, Number.NaN] })).toThrow(
      /\$\.a\[1\]: NaN is not a JSON number/,
    );
    expect(() => canonicalJson({ when: new Date(0) })).toThrow(/\$\.when: a Date instance/);
    expect(() => canonicalJson({ n: 10n })).toThrow(FirmwareError);
    expect(() => canonicalJson([undefined])).toThrow(/\$\[0\]: a undefined is not JSON data/);
  });
});
