/**
 * Selector text as operators type it (`site=hcm-d3,tag=streetlight,status!=offline`), the same
 * grammar as @fleet/contracts' parseSelector. The console checks it as you type; the server
 * remains the judge and its 400 names the problem too.
 */
export const GATEWAY_KEYS = [
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
export const DEVICE_KEYS = ['id', 'site', 'tag', 'gateway', 'profile', 'model', 'status'] as const;

export interface Term {
  key: string;
  negate: boolean;
  values: string[];
}

export type ParseResult = { ok: true; terms: Term[] } | { ok: false; error: string };

const VALUE = /^[A-Za-z0-9._:/@+-]{1,128}$/;

export function parseSelectorText(text: string, keys: readonly string[]): ParseResult {
  const trimmed = text.trim();
  if (trimmed === '') return { ok: true, terms: [] };
  if (trimmed.length > 2048) return { ok: false, error: 'longer than 2048 characters' };
  const terms: Term[] = [];
  for (const raw of trimmed.split(',')) {
    const part = raw.trim();
    if (part === '') return { ok: false, error: 'empty term (two commas in a row?)' };
    const match = /^([a-z]+)\s*(!=|=)\s*(.*)$/.exec(part);
    if (!match) return { ok: false, error: `expected key=value or key!=value, got "${part}"` };
    const [, key = '', op, rest = ''] = match;
    if (!keys.includes(key)) {
      return { ok: false, error: `unknown key "${key}" (allowed: ${keys.join(', ')})` };
    }
    const values = rest.split('|').map((v) => v.trim());
    const bad = values.find((v) => !VALUE.test(v));
    if (bad !== undefined) {
      return {
        ok: false,
        error: bad === '' ? `empty value for "${key}"` : `invalid value "${bad}" for "${key}"`,
      };
    }
    terms.push({ key, negate: op === '!=', values: [...new Set(values)] });
  }
  if (terms.length > 32) return { ok: false, error: 'more than 32 terms' };
  return { ok: true, terms };
}

export function formatTerms(terms: readonly Term[]): string {
  return terms.map((t) => `${t.key}${t.negate ? '!=' : '='}${t.values.join('|')}`).join(',');
}

/** The single positive value of `key`, when the selector has exactly that (for the dropdowns). */
export function termValue(terms: readonly Term[], key: string): string {
  const matching = terms.filter((t) => t.key === key);
  const only = matching[0];
  if (matching.length !== 1 || !only || only.negate || only.values.length !== 1) return '';
  return only.values[0] ?? '';
}

/** Sets (or, with '', removes) the plain `key=value` term, keeping every other term as typed. */
export function withTerm(terms: readonly Term[], key: string, value: string): Term[] {
  const others = terms.filter((t) => t.key !== key);
  if (value === '') return others;
  const at = terms.findIndex((t) => t.key === key);
  const term: Term = { key, negate: false, values: [value] };
  if (at < 0) return [...others, term];
  const next = [...others];
  next.splice(Math.min(at, next.length), 0, term);
  return next;
}
