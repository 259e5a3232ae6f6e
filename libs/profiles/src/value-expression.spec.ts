import { describe, expect, it } from 'vitest';
import { compileExpression, ExpressionError } from '@fleet/profiles';

describe('compileExpression', () => {
  it('evaluates arithmetic over parameters with the usual precedence', () => {
    const e = compileExpression('round(level * 2.54)');
    expect([...e.identifiers]).toEqual(['level']);
    expect(e.evaluate({ level: 40 })).toBe(102);
    expect(compileExpression('1 + 2 * 3 - 4 / 2').evaluate({})).toBe(5);
    expect(compileExpression('-(a + 1) % 4').evaluate({ a: 6 })).toBe(-3);
    expect(compileExpression('0x10 + 1e2').evaluate({})).toBe(116);
    expect(compileExpression('clamp(x, 0, 254)').evaluate({ x: 300 })).toBe(254);
    expect(compileExpression('max(1, b, 3)').evaluate({ b: 7 })).toBe(7);
  });

  it('supports comparisons, logic, conditionals and string literals for enum parameters', () => {
    const e = compileExpression("direction == 'in' ? 1 : direction == 'out' ? -1 : 0");
    expect(e.evaluate({ direction: 'in' })).toBe(1);
    expect(e.evaluate({ direction: 'out' })).toBe(-1);
    expect(compileExpression('on && !off || x >= 3').evaluate({ on: true, off: true, x: 3 })).toBe(
      true,
    );
    expect(compileExpression('true').evaluate({})).toBe(true);
  });

  it('reports parse errors with their position, never evaluating arbitrary code', () => {
    expect(() => compileExpression('level * ')).toThrow('unexpected end of expression');
    expect(() => compileExpression('level ** 2')).toThrow('unexpected "*" at 8');
    expect(() => compileExpression('process.exit(1)')).toThrow(ExpressionError);
    expect(() => compileExpression('sqrt(2)')).toThrow('unknown function "sqrt"');
    expect(() => compileExpression('round(1, 2)')).toThrow('round() takes 1 argument(s), got 2');
    expect(() => compileExpression("'open")).toThrow('unterminated string');
  });

  it('reports evaluation errors: missing values, wrong types, division by zero', () => {
    expect(() => compileExpression('a + 1').evaluate({})).toThrow('"a" has no value');
    expect(() => compileExpression('a * 2').evaluate({ a: 'x' })).toThrow('needs a number');
    expect(() => compileExpression('a ? 1 : 2').evaluate({ a: 1 })).toThrow(
      'a condition needs true/false',
    );
    expect(() => compileExpression('1 / a').evaluate({ a: 0 })).toThrow('division by zero');
  });
});
