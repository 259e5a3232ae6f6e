import type { CommandParameter } from '../api/api-types.js';

export type RawValues = Readonly<Record<string, string | boolean>>;
export type ParamValue = number | boolean | string;

export interface ParamProblem {
  name: string;
  reason: 'required' | 'number' | 'integer' | 'min' | 'max' | 'choice';
}

/** Form state a parameter starts with: its default, or empty. */
export function initialValues(
  parameters: readonly CommandParameter[],
): Record<string, string | boolean> {
  return Object.fromEntries(
    parameters.map((p) => [
      p.name,
      p.type === 'boolean' ? p.default === true : p.default === undefined ? '' : String(p.default),
    ]),
  );
}

/**
 * Turns the form's text into typed parameter values and checks them against the profile's
 * declaration (required, type, range, choices) before anything is sent. The server checks again.
 */
export function readParameters(
  parameters: readonly CommandParameter[],
  raw: RawValues,
): { values: Record<string, ParamValue>; problems: ParamProblem[] } {
  const values: Record<string, ParamValue> = {};
  const problems: ParamProblem[] = [];
  for (const p of parameters) {
    const input = raw[p.name];
    if (p.type === 'boolean') {
      values[p.name] = input === true;
      continue;
    }
    const text = typeof input === 'string' ? input.trim() : '';
    if (text === '') {
      if (p.required && p.default === undefined)
        problems.push({ name: p.name, reason: 'required' });
      continue;
    }
    switch (p.type) {
      case 'number':
      case 'integer': {
        const n = Number(text);
        if (!Number.isFinite(n)) {
          problems.push({ name: p.name, reason: 'number' });
        } else if (p.type === 'integer' && !Number.isInteger(n)) {
          problems.push({ name: p.name, reason: 'integer' });
        } else if (p.min !== undefined && n < p.min) {
          problems.push({ name: p.name, reason: 'min' });
        } else if (p.max !== undefined && n > p.max) {
          problems.push({ name: p.name, reason: 'max' });
        } else {
          values[p.name] = n;
        }
        break;
      }
      case 'enum':
        if (p.values && !p.values.includes(text)) problems.push({ name: p.name, reason: 'choice' });
        else values[p.name] = text;
        break;
      case 'string':
        values[p.name] = text;
        break;
    }
  }
  return { values, problems };
}
