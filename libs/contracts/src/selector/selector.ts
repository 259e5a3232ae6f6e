/**
 * One selector syntax for gateways and devices, reused by listing filters, commands and rollouts:
 *
 *   site=hcm-d3,tag=streetlight,model=rpi4      every term must hold (AND)
 *   site=hcm-d1|hcm-d3                          any listed value (OR within a term)
 *   status!=offline                             negation
 *
 * Keys are fixed per target; values are 1–128 characters of [A-Za-z0-9._:/@+-].
 */

export const GATEWAY_SELECTOR_KEYS = [
  'id',
  'site',
  'tag',
  'status',
  'model',
  'hardware',
  'firmware',
  'agent',
  'serial',
] as const;

export const DEVICE_SELECTOR_KEYS = [
  'id',
  'site',
  'tag',
  'gateway',
  'profile',
  'model',
  'status',
] as const;

export type GatewaySelectorKey = (typeof GATEWAY_SELECTOR_KEYS)[number];
export type DeviceSelectorKey = (typeof DEVICE_SELECTOR_KEYS)[number];

export interface SelectorTerm<K extends string = string> {
  key: K;
  negate: boolean;
  values: readonly string[];
}

export interface Selector<K extends string = string> {
  terms: readonly SelectorTerm<K>[];
}

export class SelectorSyntaxError extends Error {
  readonly code = 'SELECTOR_INVALID';
  constructor(
    readonly selector: string,
    readonly position: number,
    readonly reason: string,
  ) {
    super(`selector "${selector}" at ${position}: ${reason}`);
    this.name = 'SelectorSyntaxError';
  }
}

const VALUE = /^[A-Za-z0-9._:/@+-]{1,128}$/;
const MAX_LENGTH = 2048;
const MAX_TERMS = 32;
const MAX_VALUES = 256;

export function parseSelector<K extends string>(
  input: string,
  allowedKeys: readonly K[],
): Selector<K> {
  if (input.length > MAX_LENGTH) {
    throw new SelectorSyntaxError(
      input.slice(0, 40) + '…',
      MAX_LENGTH,
      `longer than ${MAX_LENGTH} characters`,
    );
  }
  const trimmed = input.trim();
  if (trimmed === '') return { terms: [] };
  const terms: SelectorTerm<K>[] = [];
  let position = input.indexOf(trimmed);
  for (const raw of trimmed.split(',')) {
    const at = position;
    position += raw.length + 1;
    const text = raw.trim();
    if (text === '') throw new SelectorSyntaxError(input, at, 'empty term');
    const match = /^([a-z]+)\s*(!=|=)\s*(.*)$/.exec(text);
    if (!match)
      throw new SelectorSyntaxError(input, at, `expected key=value or key!=value, got "${text}"`);
    const [, key = '', op, rest = ''] = match;
    if (!(allowedKeys as readonly string[]).includes(key)) {
      throw new SelectorSyntaxError(
        input,
        at,
        `unknown key "${key}" (allowed: ${allowedKeys.join(', ')})`,
      );
    }
    const values = rest.split('|').map((v) => v.trim());
    const bad = values.find((v) => !VALUE.test(v));
    if (bad !== undefined) {
      throw new SelectorSyntaxError(
        input,
        at,
        bad === '' ? `empty value for "${key}"` : `invalid value "${bad}" for "${key}"`,
      );
    }
    if (values.length > MAX_VALUES) {
      throw new SelectorSyntaxError(input, at, `more than ${MAX_VALUES} values for "${key}"`);
    }
    terms.push({ key: key as K, negate: op === '!=', values: [...new Set(values)] });
    if (terms.length > MAX_TERMS)
      throw new SelectorSyntaxError(input, at, `more than ${MAX_TERMS} terms`);
  }
  return { terms };
}

export function formatSelector(selector: Selector): string {
  return selector.terms
    .map((t) => `${t.key}${t.negate ? '!=' : '='}${t.values.join('|')}`)
    .join(',');
}

/** Combines a selector string with single-key query filters (`?site=...&tag=...`) into one selector. */
export function mergeSelector<K extends string>(
  base: Selector<K>,
  extra: Partial<Record<K, string | undefined>>,
  allowedKeys: readonly K[],
): Selector<K> {
  const terms = [...base.terms];
  for (const key of allowedKeys) {
    const value = extra[key];
    if (value === undefined || value === '') continue;
    terms.push(...parseSelector(`${key}=${value}`, allowedKeys).terms);
  }
  return { terms };
}
