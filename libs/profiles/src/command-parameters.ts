import type { CommandIssue } from './command-issue.js';
import type { CommandDefinition, CommandParameter, DeviceProfile } from './profile.types.js';
import { suggestName } from './schema-validator.js';
import type { ExpressionValue } from './value-expression.js';

function show(v: unknown): string {
  return typeof v === 'bigint' ? v.toString() : JSON.stringify(v);
}

export function rangeText(p: CommandParameter): string {
  const unit = p.unit ? ` ${p.unit}` : '';
  if (p.min !== undefined && p.max !== undefined) return `${p.min}..${p.max}${unit}`;
  if (p.min !== undefined) return `at least ${p.min}${unit}`;
  return `at most ${p.max ?? ''}${unit}`;
}

/** Issues for one value of one declared parameter (type, then range). */
export function parameterValueIssues(p: CommandParameter, v: unknown): CommandIssue[] {
  const issue = (code: CommandIssue['code'], reason: string): CommandIssue[] => [
    { code, parameter: p.name, message: `${p.name}: ${reason} (got ${show(v)})` },
  ];
  switch (p.type) {
    case 'number':
    case 'integer': {
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        return issue('WRONG_TYPE', `must be ${p.type === 'integer' ? 'an integer' : 'a number'}`);
      }
      if (p.type === 'integer' && !Number.isInteger(v))
        return issue('WRONG_TYPE', 'must be an integer');
      if ((p.min !== undefined && v < p.min) || (p.max !== undefined && v > p.max)) {
        return issue('OUT_OF_RANGE', `must be ${rangeText(p)}`);
      }
      return [];
    }
    case 'boolean':
      return typeof v === 'boolean' ? [] : issue('WRONG_TYPE', 'must be true or false');
    case 'enum':
      return typeof v === 'string' && (p.values ?? []).includes(v)
        ? []
        : issue('NOT_ALLOWED', `must be one of: ${(p.values ?? []).join(', ')}`);
    case 'string':
      return typeof v === 'string' ? [] : issue('WRONG_TYPE', 'must be a string');
  }
}

export function findCommand(profile: DeviceProfile, name: string): CommandDefinition | undefined {
  return profile.commands.find((c) => c.name === name);
}

/**
 * Checks a call before anything is sent: the command exists, every parameter is declared, present
 * when required, of the right type and within range. Returns every issue (empty = valid).
 */
export function validateCommandParameters(
  profile: DeviceProfile,
  commandName: string,
  params: Readonly<Record<string, unknown>>,
): CommandIssue[] {
  const command = findCommand(profile, commandName);
  if (!command) {
    const names = profile.commands.map((c) => c.name);
    const hint = suggestName(commandName, names);
    return [
      {
        code: 'UNKNOWN_COMMAND',
        message: `${profile.id} has no command "${commandName}"${hint ? ` (did you mean "${hint}"?)` : ''} (commands: ${names.join(', ') || 'none'})`,
      },
    ];
  }
  const issues: CommandIssue[] = [];
  const declared = new Map(command.parameters.map((p) => [p.name, p]));
  for (const [name, value] of Object.entries(params)) {
    const p = declared.get(name);
    if (!p) {
      const hint = suggestName(name, [...declared.keys()]);
      issues.push({
        code: 'UNKNOWN_PARAMETER',
        parameter: name,
        message: `${name}: unknown parameter${hint ? ` (did you mean "${hint}"?)` : ''} (${commandName} takes: ${[...declared.keys()].join(', ') || 'no parameters'})`,
      });
      continue;
    }
    if (value === undefined) continue;
    issues.push(...parameterValueIssues(p, value));
  }
  for (const p of command.parameters) {
    if (p.required && params[p.name] === undefined) {
      issues.push({
        code: 'MISSING_PARAMETER',
        parameter: p.name,
        message: `${p.name}: is required (${p.type}${p.min !== undefined || p.max !== undefined ? ` ${rangeText(p)}` : ''}${p.values ? `: ${p.values.join(', ')}` : ''})`,
      });
    }
  }
  return issues;
}

/** Validated parameters with defaults filled in. */
export function withDefaults(
  command: CommandDefinition,
  params: Readonly<Record<string, unknown>>,
): Record<string, ExpressionValue> {
  const out: Record<string, ExpressionValue> = {};
  for (const p of command.parameters) {
    const v = params[p.name] ?? p.default;
    if (v !== undefined) out[p.name] = v as ExpressionValue;
  }
  return out;
}
