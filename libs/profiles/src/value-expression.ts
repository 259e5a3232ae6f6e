import { ExpressionError } from './expression.error.js';

/** What an expression works with: parameter values and literals. */
export type ExpressionValue = number | boolean | string;

/**
 * A compiled arithmetic expression over command parameters, e.g. `round(level * 2.54)` or
 * `pan < 0 ? -pan : pan`. Never `eval`: a small recursive-descent parser over numbers, 'strings',
 * true/false, parameter names, + - * / %, comparisons, && || !, ?:, and a few pure functions.
 */
export interface ValueExpression {
  readonly source: string;
  /** Parameter names the expression reads. */
  readonly identifiers: ReadonlySet<string>;
  evaluate(scope: Readonly<Record<string, ExpressionValue | undefined>>): ExpressionValue;
}

type Node =
  | { t: 'lit'; v: ExpressionValue }
  | { t: 'id'; name: string }
  | { t: 'un'; op: '-' | '+' | '!'; a: Node }
  | { t: 'bin'; op: string; a: Node; b: Node }
  | { t: 'cond'; c: Node; a: Node; b: Node }
  | { t: 'call'; fn: string; args: Node[] };

interface Token {
  kind: 'num' | 'str' | 'id' | 'op' | 'end';
  text: string;
  pos: number;
  num?: number;
}

const FUNCTIONS: Readonly<
  Record<string, { arity: [number, number]; fn: (xs: number[]) => number }>
> = {
  round: { arity: [1, 1], fn: (xs) => Math.round(xs[0] ?? 0) },
  floor: { arity: [1, 1], fn: (xs) => Math.floor(xs[0] ?? 0) },
  ceil: { arity: [1, 1], fn: (xs) => Math.ceil(xs[0] ?? 0) },
  abs: { arity: [1, 1], fn: (xs) => Math.abs(xs[0] ?? 0) },
  min: { arity: [1, 16], fn: (xs) => Math.min(...xs) },
  max: { arity: [1, 16], fn: (xs) => Math.max(...xs) },
  clamp: {
    arity: [3, 3],
    fn: ([x = 0, lo = 0, hi = 0]) => Math.min(Math.max(x, lo), hi),
  },
};

const OPERATORS = [
  '==',
  '!=',
  '<=',
  '>=',
  '&&',
  '||',
  '+',
  '-',
  '*',
  '/',
  '%',
  '<',
  '>',
  '!',
  '?',
  ':',
  '(',
  ')',
  ',',
];

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src.charAt(i);
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const num = /^(0x[0-9a-fA-F]+|(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?)/.exec(src.slice(i));
    if (num) {
      out.push({ kind: 'num', text: num[0], pos: i, num: Number(num[0]) });
      i += num[0].length;
      continue;
    }
    const id = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i));
    if (id) {
      out.push({ kind: 'id', text: id[0], pos: i });
      i += id[0].length;
      continue;
    }
    if (c === "'") {
      const end = src.indexOf("'", i + 1);
      if (end < 0) throw new ExpressionError(`unterminated string at ${i + 1}`, src);
      out.push({ kind: 'str', text: src.slice(i + 1, end), pos: i });
      i = end + 1;
      continue;
    }
    const op = OPERATORS.find((o) => src.startsWith(o, i));
    if (!op) throw new ExpressionError(`unexpected "${c}" at ${i + 1}`, src);
    out.push({ kind: 'op', text: op, pos: i });
    i += op.length;
  }
  out.push({ kind: 'end', text: '', pos: src.length });
  return out;
}

class Parser {
  private i = 0;
  readonly identifiers = new Set<string>();

  constructor(
    private readonly tokens: Token[],
    private readonly src: string,
  ) {}

  parse(): Node {
    const node = this.ternary();
    const t = this.peek();
    if (t.kind !== 'end') this.fail(`unexpected "${t.text}" at ${t.pos + 1}`);
    return node;
  }

  private peek(): Token {
    return this.tokens[this.i] ?? { kind: 'end', text: '', pos: this.src.length };
  }

  private take(): Token {
    const t = this.peek();
    this.i++;
    return t;
  }

  private isOp(...ops: string[]): boolean {
    const t = this.peek();
    return t.kind === 'op' && ops.includes(t.text);
  }

  private expect(op: string): void {
    const t = this.take();
    if (t.kind !== 'op' || t.text !== op) {
      this.fail(
        `expected "${op}" at ${t.pos + 1}${t.kind === 'end' ? ' (end of expression)' : ''}`,
      );
    }
  }

  private fail(msg: string): never {
    throw new ExpressionError(msg, this.src);
  }

  private ternary(): Node {
    const c = this.binary(0);
    if (!this.isOp('?')) return c;
    this.take();
    const a = this.ternary();
    this.expect(':');
    const b = this.ternary();
    return { t: 'cond', c, a, b };
  }

  private static readonly LEVELS: readonly (readonly string[])[] = [
    ['||'],
    ['&&'],
    ['==', '!='],
    ['<', '<=', '>', '>='],
    ['+', '-'],
    ['*', '/', '%'],
  ];

  private binary(level: number): Node {
    const ops = Parser.LEVELS[level];
    if (!ops) return this.unary();
    let a = this.binary(level + 1);
    while (this.isOp(...ops)) {
      const op = this.take().text;
      const b = this.binary(level + 1);
      a = { t: 'bin', op, a, b };
    }
    return a;
  }

  private unary(): Node {
    if (this.isOp('-', '+', '!')) {
      const op = this.take().text as '-' | '+' | '!';
      return { t: 'un', op, a: this.unary() };
    }
    return this.primary();
  }

  private primary(): Node {
    const t = this.take();
    switch (t.kind) {
      case 'num':
        return { t: 'lit', v: t.num ?? Number.NaN };
      case 'str':
        return { t: 'lit', v: t.text };
      case 'id': {
        if (t.text === 'true' || t.text === 'false') return { t: 'lit', v: t.text === 'true' };
        if (this.isOp('(')) {
          const fn = FUNCTIONS[t.text];
          if (!fn) {
            this.fail(`unknown function "${t.text}" (known: ${Object.keys(FUNCTIONS).join(', ')})`);
          }
          this.take();
          const args: Node[] = [];
          if (!this.isOp(')')) {
            args.push(this.ternary());
            while (this.isOp(',')) {
              this.take();
              args.push(this.ternary());
            }
          }
          this.expect(')');
          const [lo, hi] = fn.arity;
          if (args.length < lo || args.length > hi) {
            this.fail(
              `${t.text}() takes ${lo === hi ? lo : `${lo}..${hi}`} argument(s), got ${args.length}`,
            );
          }
          return { t: 'call', fn: t.text, args };
        }
        this.identifiers.add(t.text);
        return { t: 'id', name: t.text };
      }
      case 'op':
        if (t.text === '(') {
          const e = this.ternary();
          this.expect(')');
          return e;
        }
        return this.fail(`unexpected "${t.text}" at ${t.pos + 1}`);
      case 'end':
        return this.fail('unexpected end of expression');
    }
  }
}

function num(v: ExpressionValue, what: string, src: string): number {
  if (typeof v !== 'number') {
    throw new ExpressionError(`${what} needs a number, got ${JSON.stringify(v)}`, src);
  }
  return v;
}

function evaluate(
  n: Node,
  scope: Readonly<Record<string, ExpressionValue | undefined>>,
  src: string,
): ExpressionValue {
  switch (n.t) {
    case 'lit':
      return n.v;
    case 'id': {
      const v = scope[n.name];
      if (v === undefined) throw new ExpressionError(`"${n.name}" has no value`, src);
      return v;
    }
    case 'un': {
      const a = evaluate(n.a, scope, src);
      if (n.op === '!') return !truthy(a, src);
      const x = num(a, `unary ${n.op}`, src);
      return n.op === '-' ? -x : x;
    }
    case 'cond':
      return truthy(evaluate(n.c, scope, src), src)
        ? evaluate(n.a, scope, src)
        : evaluate(n.b, scope, src);
    case 'call': {
      const fn = FUNCTIONS[n.fn];
      if (!fn) throw new ExpressionError(`unknown function "${n.fn}"`, src);
      return fn.fn(n.args.map((a) => num(evaluate(a, scope, src), `${n.fn}()`, src)));
    }
    case 'bin': {
      if (n.op === '&&') {
        return truthy(evaluate(n.a, scope, src), src) && truthy(evaluate(n.b, scope, src), src);
      }
      if (n.op === '||') {
        return truthy(evaluate(n.a, scope, src), src) || truthy(evaluate(n.b, scope, src), src);
      }
      const a = evaluate(n.a, scope, src);
      const b = evaluate(n.b, scope, src);
      if (n.op === '==') return a === b;
      if (n.op === '!=') return a !== b;
      const x = num(a, `"${n.op}"`, src);
      const y = num(b, `"${n.op}"`, src);
      switch (n.op) {
        case '+':
          return x + y;
        case '-':
          return x - y;
        case '*':
          return x * y;
        case '/':
          if (y === 0) throw new ExpressionError('division by zero', src);
          return x / y;
        case '%':
          if (y === 0) throw new ExpressionError('division by zero', src);
          return x % y;
        case '<':
          return x < y;
        case '<=':
          return x <= y;
        case '>':
          return x > y;
        case '>=':
          return x >= y;
        default:
          throw new ExpressionError(`unknown operator "${n.op}"`, src);
      }
    }
  }
}

function truthy(v: ExpressionValue, src: string): boolean {
  if (typeof v !== 'boolean') {
    throw new ExpressionError(`a condition needs true/false, got ${JSON.stringify(v)}`, src);
  }
  return v;
}

/** Parses `source` once; throws ExpressionError with the position of the first problem. */
export function compileExpression(source: string): ValueExpression {
  const parser = new Parser(tokenize(source), source);
  const ast = parser.parse();
  return {
    source,
    identifiers: parser.identifiers,
    evaluate: (scope) => evaluate(ast, scope, source),
  };
}
