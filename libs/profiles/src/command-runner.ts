import { MAX_STEP_DELAY_MS } from './profile-defaults.js';
import { encodePoint } from './point-codec.js';
import { pelcoDStepOperation, PELCO_D_STEP_ARGS } from './pelco-d-step.js';
import type {
  CommandDefinition,
  CommandStep,
  DeviceProfile,
  Operation,
  PointDefinition,
  PointValue,
} from './profile.types.js';
import {
  compileExpression,
  type ExpressionValue,
  type ValueExpression,
} from './value-expression.js';

/** A step could not be turned into an operation; `field` is the step field at fault. */
export class StepError extends Error {
  readonly code = 'STEP_FAILED';

  constructor(
    readonly step: number,
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'StepError';
  }
}

const expressions = new Map<string, ValueExpression>();

export function expression(source: string): ValueExpression {
  let e = expressions.get(source);
  if (!e) {
    e = compileExpression(source);
    expressions.set(source, e);
  }
  return e;
}

const indexes = new WeakMap<DeviceProfile, ReadonlyMap<string, PointDefinition>>();

export function pointIndex(profile: DeviceProfile): ReadonlyMap<string, PointDefinition> {
  let idx = indexes.get(profile);
  if (!idx) {
    idx = new Map(profile.points.map((p) => [p.name, p]));
    indexes.set(profile, idx);
  }
  return idx;
}

export type ParameterValues = Readonly<Record<string, ExpressionValue>>;

const PLACEHOLDER = /\{([A-Za-z][A-Za-z0-9_]*)\}/g;

export function templateParameters(template: string): string[] {
  return [...template.matchAll(PLACEHOLDER)].map((m) => m[1] ?? '');
}

export function fillTemplate(template: string, values: ParameterValues): string {
  return template.replace(PLACEHOLDER, (_, name: string) => {
    const v = values[name];
    if (typeof v !== 'number' || !Number.isInteger(v)) {
      throw new Error(`placeholder {${name}} needs an integer parameter, got ${JSON.stringify(v)}`);
    }
    return String(v);
  });
}

function evalIn(
  step: number,
  field: string,
  source: string,
  values: ParameterValues,
): ExpressionValue {
  try {
    return expression(source).evaluate(values);
  } catch (e) {
    throw new StepError(step, field, e instanceof Error ? e.message : String(e));
  }
}

function point(
  profile: DeviceProfile,
  step: number,
  field: string,
  template: string,
  values: ParameterValues,
): PointDefinition {
  let name: string;
  try {
    name = fillTemplate(template, values);
  } catch (e) {
    throw new StepError(step, field, e instanceof Error ? e.message : String(e));
  }
  const p = pointIndex(profile).get(name);
  if (!p) {
    const shown = name === template ? `"${name}"` : `"${template}" → "${name}"`;
    throw new StepError(step, field, `no point ${shown}`);
  }
  return p;
}

function integerArg(
  step: number,
  field: string,
  v: ExpressionValue,
  min: number,
  max: number,
): number {
  const x = typeof v === 'boolean' ? (v ? 1 : 0) : v;
  if (typeof x !== 'number' || !Number.isInteger(x) || x < min || x > max) {
    throw new StepError(step, field, `must be an integer ${min}..${max}, got ${JSON.stringify(v)}`);
  }
  return x;
}

function writeOp(
  profile: DeviceProfile,
  s: Extract<CommandStep, { kind: 'write' }>,
  i: number,
  values: ParameterValues,
): Operation {
  const p = point(profile, i, 'write', s.point, values);
  if (p.access === 'r') throw new StepError(i, 'write', `point "${p.name}" is read-only`);
  const value = evalIn(i, 'value', s.value, values);
  let encoded: number[] | boolean[];
  try {
    encoded = encodePoint(p, value);
  } catch (e) {
    throw new StepError(i, 'value', e instanceof Error ? e.message : String(e));
  }
  if (p.line !== undefined) {
    return {
      kind: 'gpio-write',
      line: p.line,
      value: encoded[0] === true ? 1 : 0,
      ...(p.activeLow ? { activeLow: true } : {}),
      point: p.name,
    };
  }
  const address = p.writeAddress ?? p.address;
  if ((p.table !== 'coil' && p.table !== 'holding') || address === undefined) {
    throw new StepError(i, 'write', `point "${p.name}" is not in a writable table`);
  }
  let verify: Extract<Operation, { kind: 'modbus-write' }>['verify'];
  if (s.verify) {
    const vp = point(profile, i, 'verify.point', s.verify.point, values);
    if (vp.access === 'w')
      throw new StepError(i, 'verify.point', `point "${vp.name}" is write-only`);
    const expected = evalIn(
      i,
      'verify.expected',
      s.verify.expected ?? s.value,
      values,
    ) as PointValue;
    verify = { point: vp.name, expected, tolerance: s.verify.tolerance };
  }
  return {
    kind: 'modbus-write',
    table: p.table,
    address,
    values: encoded,
    point: p.name,
    ...(verify ? { verify } : {}),
  };
}

/**
 * Turns steps [from, to) of a command into operations. `values` are validated parameters with
 * defaults applied; `address` is the serial address for Pelco-D frames.
 */
export function runSteps(
  profile: DeviceProfile,
  command: CommandDefinition,
  values: ParameterValues,
  address: number,
  from = 0,
  to?: number,
): Operation[] {
  const ops: Operation[] = [];
  const steps = command.steps ?? [];
  let delayed = 0;
  steps.slice(from, to).forEach((s, k) => {
    const i = from + k;
    switch (s.kind) {
      case 'write':
        ops.push(writeOp(profile, s, i, values));
        break;
      case 'read':
        ops.push({
          kind: 'modbus-read',
          points: s.points.map((t) => point(profile, i, 'read', t, values).name),
        });
        break;
      case 'delay': {
        const ms = integerArg(i, 'delay', evalIn(i, 'delay', s.ms, values), 0, MAX_STEP_DELAY_MS);
        delayed += ms;
        if (command.safetyStop && delayed > command.safetyStop.afterMs) {
          throw new StepError(
            i,
            'delay',
            `${delayed} ms before the stop exceeds safetyStop.afterMs (${command.safetyStop.afterMs} ms)`,
          );
        }
        ops.push({ kind: 'delay', ms });
        break;
      }
      case 'pelco-d': {
        const spec = PELCO_D_STEP_ARGS[s.command] ?? {};
        const args: Record<string, number> = {};
        for (const [name, src] of Object.entries(s.args)) {
          const a = spec[name];
          if (!a) throw new StepError(i, `pelco.${name}`, 'unknown argument');
          args[name] = integerArg(
            i,
            `pelco.${name}`,
            evalIn(i, `pelco.${name}`, src, values),
            a.min,
            a.max,
          );
        }
        try {
          ops.push(pelcoDStepOperation(s.command, args, address));
        } catch (e) {
          throw new StepError(i, 'pelco', e instanceof Error ? e.message : String(e));
        }
        break;
      }
    }
  });
  return ops;
}

/** Index of the first stop step of a safety-stopped command (the step after its last delay). */
export function stopStepIndex(command: CommandDefinition): number | undefined {
  const steps = command.steps ?? [];
  if (!command.safetyStop) return undefined;
  for (let i = steps.length - 1; i >= 0; i--) {
    if (steps[i]?.kind === 'delay') return i + 1;
  }
  return undefined;
}
