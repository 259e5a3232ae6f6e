import { parameterValueIssues } from './command-parameters.js';
import {
  expression,
  fillTemplate,
  pointIndex,
  runSteps,
  StepError,
  templateParameters,
  type ParameterValues,
} from './command-runner.js';
import type { IssueCollector } from './issue-collector.js';
import { pelcoDStepMoves, PELCO_D_STEP_ARGS } from './pelco-d-step.js';
import { matchesBrokenTemplate } from './point-builder.js';
import type { DocParameter, DocStep, ProfileDocument } from './profile-document.js';
import type {
  CommandDefinition,
  CommandParameter,
  CommandStep,
  DeviceProfile,
} from './profile.types.js';
import type { ExpressionValue } from './value-expression.js';

/** Most parameter combinations a template or a range check walks through. */
const MAX_COMBINATIONS = 4096;

function buildParameter(
  cmd: string,
  name: string,
  d: DocParameter,
  issues: IssueCollector,
): CommandParameter {
  const at = (f: string): string => `commands.${cmd}.parameters.${name}.${f}`;
  const numeric = d.type === 'number' || d.type === 'integer';
  if (!numeric) {
    for (const f of ['min', 'max', 'unit'] as const) {
      if (d[f] !== undefined && !(f === 'unit' && d.type === 'string')) {
        issues.error(at(f), `applies to number and integer parameters only`);
      }
    }
  }
  if (d.min !== undefined && d.max !== undefined && d.min > d.max)
    issues.error(at('min'), `must not exceed max (${d.min} > ${d.max})`);
  if (d.type === 'integer') {
    for (const f of ['min', 'max'] as const) {
      const v = d[f];
      if (v !== undefined && !Number.isInteger(v))
        issues.error(at(f), `must be an integer for an integer parameter, got ${v}`);
    }
  }
  if (d.type === 'enum' && d.values === undefined)
    issues.error(at('values'), 'is required for enum parameters');
  if (d.type !== 'enum' && d.values !== undefined)
    issues.error(at('values'), 'applies to enum parameters only');
  const p: CommandParameter = {
    name,
    type: d.type,
    required: d.default === undefined,
    ...(d.description === undefined ? {} : { description: d.description }),
    ...(d.default === undefined ? {} : { default: d.default }),
    ...(d.min === undefined ? {} : { min: d.min }),
    ...(d.max === undefined ? {} : { max: d.max }),
    ...(d.unit === undefined ? {} : { unit: d.unit }),
    ...(d.values === undefined ? {} : { values: d.values }),
  };
  if (d.default !== undefined) {
    for (const i of parameterValueIssues(p, d.default))
      issues.error(at('default'), i.message.replace(`${name}: `, ''));
  }
  return p;
}

function source(v: ExpressionValue): string {
  return typeof v === 'string' ? v : String(v);
}

function buildStep(
  cmd: string,
  i: number,
  s: DocStep,
  issues: IssueCollector,
): CommandStep | undefined {
  const at = (f?: string): string => `commands.${cmd}.steps.${i}${f ? `.${f}` : ''}`;
  const kinds = (['write', 'read', 'delay', 'pelco'] as const).filter((k) => s[k] !== undefined);
  if (kinds.length !== 1) {
    issues.error(
      at(),
      kinds.length === 0
        ? 'needs one of write, read, delay, pelco'
        : `has ${kinds.join(' and ')}; a step does exactly one thing`,
    );
    return undefined;
  }
  if (kinds[0] !== 'write') {
    for (const f of ['value', 'verify'] as const)
      if (s[f] !== undefined) issues.error(at(f), 'applies to write steps only');
  }
  const compile = (field: string, v: ExpressionValue): string | undefined => {
    const src = source(v);
    try {
      expression(src);
      return src;
    } catch (e) {
      issues.error(
        at(field),
        `bad expression "${src}": ${e instanceof Error ? e.message : String(e)}`,
      );
      return undefined;
    }
  };
  if (s.write !== undefined) {
    const value = compile('value', s.value ?? '');
    if (value === undefined) return undefined;
    let verify: Extract<CommandStep, { kind: 'write' }>['verify'];
    if (s.verify) {
      const v = s.verify === true ? {} : s.verify;
      const expected =
        v.expected === undefined ? undefined : compile('verify.expected', v.expected);
      if (v.expected !== undefined && expected === undefined) return undefined;
      verify = {
        point: v.point ?? s.write,
        tolerance: v.tolerance ?? 0,
        ...(expected === undefined ? {} : { expected }),
      };
    }
    return { kind: 'write', point: s.write, value, ...(verify ? { verify } : {}) };
  }
  if (s.read !== undefined) return { kind: 'read', points: s.read };
  if (s.delay !== undefined) {
    const ms = compile('delay', s.delay);
    return ms === undefined ? undefined : { kind: 'delay', ms };
  }
  const pelco = s.pelco;
  if (!pelco) return undefined;
  const { command, ...rest } = pelco;
  const spec = PELCO_D_STEP_ARGS[command];
  if (!spec) return undefined;
  const args: Record<string, string> = {};
  let ok = true;
  for (const [name, v] of Object.entries(rest)) {
    if (!spec[name]) {
      issues.error(
        at(`pelco.${name}`),
        `unknown argument for ${command} (takes: ${Object.keys(spec).join(', ') || 'none'})`,
      );
      ok = false;
      continue;
    }
    const src = compile(`pelco.${name}`, v);
    if (src === undefined) ok = false;
    else args[name] = src;
  }
  for (const [name, a] of Object.entries(spec)) {
    if (a.required && rest[name] === undefined) {
      issues.error(at(`pelco.${name}`), `is required for ${command}`);
      ok = false;
    }
  }
  return ok ? { kind: 'pelco-d', command, args } : undefined;
}

/** Representative values of a parameter: its bounds, its default, every enum value. */
function samples(p: CommandParameter): ExpressionValue[] {
  const out: ExpressionValue[] = [];
  const add = (v: ExpressionValue | undefined): void => {
    if (v !== undefined && !out.includes(v)) out.push(v);
  };
  switch (p.type) {
    case 'number':
    case 'integer':
      add(p.min);
      add(p.max);
      add(p.default);
      if (out.length === 0) add(0);
      break;
    case 'boolean':
      add(false);
      add(true);
      break;
    case 'enum':
      for (const v of p.values ?? []) add(v);
      break;
    case 'string':
      add(p.default ?? '');
      break;
  }
  return out;
}

function* combinations(
  lists: [string, ExpressionValue[]][],
  limit: number,
): Generator<ParameterValues> {
  let count = 0;
  const walk = function* (
    i: number,
    acc: Record<string, ExpressionValue>,
  ): Generator<ParameterValues> {
    if (count >= limit) return;
    const entry = lists[i];
    if (!entry) {
      count++;
      yield { ...acc };
      return;
    }
    const [name, values] = entry;
    for (const v of values) yield* walk(i + 1, { ...acc, [name]: v });
  };
  yield* walk(0, {});
}

function checkReferences(
  cmd: string,
  parameters: readonly CommandParameter[],
  steps: readonly (CommandStep | undefined)[],
  profile: DeviceProfile,
  broken: readonly string[],
  issues: IssueCollector,
): boolean {
  const params = new Map(parameters.map((p) => [p.name, p]));
  const used = new Set<string>();
  let touchesBroken = false;
  const points = pointIndex(profile);
  const hasSerial = profile.transports.some((t) => t.kind === 'serial');
  steps.forEach((s, i) => {
    if (!s) return;
    const at = (f: string): string => `commands.${cmd}.steps.${i}.${f}`;
    const exprs: [string, string][] = [];
    const templates: [string, string, 'write' | 'read'][] = [];
    if (s.kind === 'write') {
      exprs.push(['value', s.value]);
      templates.push(['write', s.point, 'write']);
      if (s.verify) {
        templates.push(['verify.point', s.verify.point, 'read']);
        if (s.verify.expected !== undefined) exprs.push(['verify.expected', s.verify.expected]);
      }
    } else if (s.kind === 'read') {
      s.points.forEach((p, k) => templates.push([`read.${k}`, p, 'read']));
    } else if (s.kind === 'delay') {
      exprs.push(['delay', s.ms]);
    } else {
      if (!hasSerial) issues.error(at('pelco'), 'needs a serial transport with protocol pelco-d');
      for (const [name, src] of Object.entries(s.args)) exprs.push([`pelco.${name}`, src]);
    }
    for (const [field, src] of exprs) {
      for (const id of expression(src).identifiers) {
        used.add(id);
        if (!params.has(id))
          issues.error(
            at(field),
            `"${id}" is not a parameter of ${cmd} (parameters: ${[...params.keys()].join(', ') || 'none'})`,
          );
      }
    }
    for (const [field, template, need] of templates) {
      const names = templateParameters(template);
      const lists: [string, ExpressionValue[]][] = [];
      let ok = true;
      for (const n of names) {
        used.add(n);
        const p = params.get(n);
        const { min, max } = p ?? {};
        if (p?.type !== 'integer' || !Number.isInteger(min) || !Number.isInteger(max)) {
          issues.error(at(field), `placeholder {${n}} needs an integer parameter with min and max`);
          ok = false;
          continue;
        }
        // combinations() stops at MAX_COMBINATIONS: a wider range (max 1e12) is not materialised.
        const size = Math.min(max! - min! + 1, MAX_COMBINATIONS);
        lists.push([n, Array.from({ length: Math.max(0, size) }, (_, k) => min! + k)]);
      }
      if (!ok) continue;
      for (const values of combinations(lists, MAX_COMBINATIONS)) {
        const name = fillTemplate(template, values);
        const p = points.get(name);
        const withValues = names.length
          ? ` (${names.map((n) => `${n}=${String(values[n])}`).join(', ')})`
          : '';
        if (!p) {
          if (matchesBrokenTemplate(name, broken)) touchesBroken = true;
          else issues.error(at(field), `no point "${name}"${withValues}`);
          break;
        }
        if (need === 'write' && p.access === 'r') {
          issues.error(at(field), `point "${name}" is read-only (access r)`);
          break;
        }
        if (need === 'write' && s.kind === 'write' && s.verify && p.line !== undefined) {
          issues.error(at('verify'), 'read-back verification applies to Modbus writes only');
          break;
        }
        if (need === 'read' && p.access === 'w') {
          issues.error(at(field), `point "${name}" is write-only; name a readable point`);
          break;
        }
        if (field.startsWith('read') && p.table === undefined) {
          issues.error(at(field), `point "${name}" is not a Modbus point`);
          break;
        }
      }
    }
  });
  for (const p of parameters) {
    if (!used.has(p.name))
      issues.warn(`commands.${cmd}.parameters.${p.name}`, 'is not used by any step');
  }
  return touchesBroken;
}

function checkSafetyStop(cmd: string, def: CommandDefinition, issues: IssueCollector): void {
  const steps = def.steps ?? [];
  const moving = steps.findIndex((s) => s.kind === 'pelco-d' && pelcoDStepMoves(s.command));
  const lastDelay = steps.map((s) => s.kind).lastIndexOf('delay');
  if (!def.safetyStop) {
    if (moving >= 0) {
      issues.error(
        `commands.${cmd}.steps.${moving}`,
        'a Pelco-D movement is latched until Stop: declare safetyStop and end the steps with a delay and a stop',
      );
    }
    return;
  }
  if (lastDelay < 0 || lastDelay === steps.length - 1) {
    issues.error(
      `commands.${cmd}.safetyStop`,
      'the steps must end with a delay followed by the stop steps',
    );
    return;
  }
  steps.slice(lastDelay + 1).forEach((s, k) => {
    if (s.kind === 'delay' || (s.kind === 'pelco-d' && pelcoDStepMoves(s.command))) {
      issues.error(
        `commands.${cmd}.steps.${lastDelay + 1 + k}`,
        'stop steps (after the last delay) must not move or wait',
      );
    }
  });
}

function checkWithSamples(
  cmd: string,
  def: CommandDefinition,
  profile: DeviceProfile,
  issues: IssueCollector,
): void {
  const lists: [string, ExpressionValue[]][] = def.parameters.map((p) => [p.name, samples(p)]);
  for (const values of combinations(lists, 256)) {
    try {
      runSteps(profile, def, values, 1);
    } catch (e) {
      if (!(e instanceof StepError)) throw e;
      const shown = Object.entries(values)
        .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
        .join(', ');
      issues.error(
        `commands.${cmd}.steps.${e.step}.${e.field}`,
        `${shown ? `with ${shown}: ` : ''}${e.message}`,
      );
      return;
    }
  }
}

/** Validates every command against the built points and transports. */
export function buildCommands(
  doc: ProfileDocument,
  profile: DeviceProfile,
  brokenPoints: readonly string[],
  issues: IssueCollector,
  skip: (path: string) => boolean,
): CommandDefinition[] {
  const out: CommandDefinition[] = [];
  if (issues.hasErrorAt('commands')) return out;
  for (const [cmd, c] of Object.entries(doc.commands ?? {})) {
    if (skip(`commands.${cmd}`)) continue;
    const before = issues.issues.length;
    const parameters = Object.entries(c.parameters ?? {}).map(([n, d]) =>
      buildParameter(cmd, n, d, issues),
    );
    const steps = c.steps.map((s, i) => buildStep(cmd, i, s, issues));
    // References are checked on every step that parsed, so one bad step hides nothing else.
    const touchesBroken = checkReferences(cmd, parameters, steps, profile, brokenPoints, issues);
    if (issues.issues.slice(before).some((i) => i.severity === 'error')) continue;
    const def: CommandDefinition = {
      name: cmd,
      ...(c.description === undefined ? {} : { description: c.description }),
      parameters,
      ...(c.safetyStop ? { safetyStop: { afterMs: c.safetyStop.afterMs } } : {}),
      steps: steps.filter((s): s is CommandStep => s !== undefined),
    };
    checkSafetyStop(cmd, def, issues);
    // A command on a point that failed validation is judged once that point is fixed.
    if (touchesBroken || issues.issues.slice(before).some((i) => i.severity === 'error')) continue;
    checkWithSamples(cmd, def, profile, issues);
    out.push(def);
  }
  return out;
}
