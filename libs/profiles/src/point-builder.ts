import type { IssueCollector } from './issue-collector.js';
import type { DocPoint, ProfileDocument } from './profile-document.js';
import { MODBUS_LIMITS, PROFILE_DEFAULTS } from './profile-defaults.js';
import { pointRegisterCount } from './point-layout.js';
import type { ByteOrder, DataType, PointDefinition, RawType } from './profile.types.js';

const NUMERIC: ReadonlySet<DataType> = new Set([
  'int16',
  'uint16',
  'int32',
  'uint32',
  'int64',
  'uint64',
  'float32',
  'float64',
]);

const RAW_RANGE: Readonly<Record<RawType, readonly [number, number]>> = {
  int16: [-32768, 32767],
  uint16: [0, 65535],
  int32: [-2147483648, 2147483647],
  uint32: [0, 4294967295],
  float32: [-16777216, 16777216],
};

export interface PointBuildContext {
  issues: IssueCollector;
  /** Poll group name → period. */
  pollGroups: ReadonlyMap<string, number>;
  defaultPollGroup: string;
  byteOrder: ByteOrder;
  alignment: 'even' | 'any';
  /** Templates whose entry failed schema validation (skipped, but known). */
  skip: (path: string) => boolean;
}

export interface BuiltPoints {
  points: PointDefinition[];
  /** Names (templates) of entries left out because of schema errors; references to them are not re-reported. */
  brokenTemplates: string[];
}

function templateRegex(template: string): RegExp {
  const esc = template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{i\\?\}/g, '\\d+');
  return new RegExp(`^${esc}$`);
}

/** Does `name` belong to an entry that failed the schema (so it is not "unknown")? */
export function matchesBrokenTemplate(name: string, broken: readonly string[]): boolean {
  return broken.some((t) => t === name || templateRegex(t).test(name));
}

function checkPoint(key: string, p: DocPoint, ctx: PointBuildContext): PointDefinition | undefined {
  const { issues } = ctx;
  const at = (field?: string): string => (field ? `points.${key}.${field}` : `points.${key}`);
  const before = issues.issues.length;
  const err = (field: string | undefined, msg: string): void => {
    issues.error(at(field), msg);
  };

  const isGpio = p.line !== undefined;
  const table = p.table;
  if (!isGpio && table === undefined) err(undefined, 'needs a table (Modbus) or a line (GPIO)');
  if (isGpio && table !== undefined) {
    err('line', 'a point is either Modbus (table) or GPIO (line), not both');
  }
  const bitTable = isGpio || table === 'coil' || table === 'discrete';
  const type: DataType = p.type ?? 'bool';
  if (p.type === undefined && !bitTable) err('type', 'is required for input and holding registers');
  if (bitTable && type !== 'bool') {
    err('type', `must be bool for ${isGpio ? 'GPIO lines' : `${table ?? ''} points`}, got ${type}`);
  }
  const access = p.access ?? PROFILE_DEFAULTS.point.access;
  if ((table === 'input' || table === 'discrete') && access !== 'r') {
    err(
      'access',
      `${table} ${table === 'input' ? 'registers' : 'inputs'} are read-only; use ${table === 'input' ? 'holding' : 'coil'} for writable values`,
    );
  }

  if (isGpio) {
    for (const f of ['address', 'writeAddress', 'byteOrder', 'bit', 'length', 'rawType'] as const) {
      if (p[f] !== undefined) err(f, 'does not apply to GPIO points');
    }
    if (p.safeValue !== undefined && access === 'r') {
      err('safeValue', 'applies to outputs only (access w or rw)');
    }
    if (p.repeat) err('repeat', 'GPIO points name one line each and cannot repeat');
  } else {
    for (const f of ['activeLow', 'safeValue'] as const) {
      if (p[f] !== undefined) err(f, 'applies to GPIO points only');
    }
    if (access !== 'w' && p.address === undefined)
      err('address', 'is required for readable points');
    if (access === 'w' && p.address === undefined && p.writeAddress === undefined) {
      err('address', 'is required (or writeAddress for a write-only point)');
    }
    if (p.writeAddress !== undefined && access === 'r') {
      err('writeAddress', 'is set but the point is read-only (access r)');
    }
  }

  if (p.bit !== undefined) {
    if (type !== 'bool' || bitTable)
      err('bit', 'applies to bool points on input/holding registers only');
    if (access !== 'r')
      err('bit', 'a bit inside a register cannot be written on its own (access must be r)');
  }
  if (type === 'string' && p.length === undefined) err('length', 'is required for strings');
  if (type !== 'string' && p.length !== undefined) err('length', 'applies to strings only');
  if (type === 'enum' && p.enum === undefined)
    err('enum', 'is required for enum points (raw value → label)');
  if (type !== 'enum' && p.enum !== undefined) err('enum', 'applies to enum points only');
  if (type === 'bitfield' && p.bits === undefined)
    err('bits', 'is required for bitfield points (bit → flag)');
  if (type !== 'bitfield' && p.bits !== undefined) err('bits', 'applies to bitfield points only');
  if (p.rawType !== undefined && type !== 'enum' && type !== 'bitfield') {
    err('rawType', 'applies to enum and bitfield points only');
  }
  if (type === 'bitfield' && p.rawType === 'float32')
    err('rawType', 'a bitfield must be stored as an integer');
  if (!NUMERIC.has(type)) {
    for (const f of ['scale', 'offset', 'min', 'max'] as const) {
      if (p[f] !== undefined) err(f, `applies to numeric points only (type is ${type})`);
    }
  }
  if (p.min !== undefined && p.max !== undefined && p.min > p.max) {
    err('min', `must not exceed max (${p.min} > ${p.max})`);
  }

  const rawType = p.rawType ?? (type === 'enum' || type === 'bitfield' ? 'uint16' : undefined);
  const count = bitTable ? 1 : pointRegisterCount(type, p.length, rawType);
  if (rawType && p.enum) {
    const [lo, hi] = RAW_RANGE[rawType];
    for (const k of Object.keys(p.enum)) {
      if (Number(k) < lo || Number(k) > hi)
        err(`enum.${k}`, `raw value must fit ${rawType} (${lo}..${hi})`);
    }
    const labels = Object.values(p.enum);
    const dup = labels.find((l, i) => labels.indexOf(l) !== i);
    if (dup !== undefined) err('enum', `label "${dup}" is used twice`);
  }
  if (p.bits) {
    const width = count * 16;
    for (const k of Object.keys(p.bits)) {
      if (Number(k) < 0 || Number(k) >= width)
        err(`bits.${k}`, `bit index must be 0..${width - 1}`);
    }
    const names = Object.values(p.bits);
    const dup = names.find((l, i) => names.indexOf(l) !== i);
    if (dup !== undefined) err('bits', `flag "${dup}" is used twice`);
  }

  const pollGroup = p.poll ?? ctx.defaultPollGroup;
  if (!ctx.pollGroups.has(pollGroup)) {
    err(
      'poll',
      `unknown poll group "${pollGroup}" (defined: ${[...ctx.pollGroups.keys()].join(', ')})`,
    );
  }
  if (p.deadband !== undefined && p.deadband > 0 && !NUMERIC.has(type)) {
    err('deadband', 'applies to numeric points only');
  }
  if (issues.issues.slice(before).some((i) => i.severity === 'error')) return undefined;

  const def: PointDefinition = {
    name: key,
    ...(p.description === undefined ? {} : { description: p.description }),
    ...(table === undefined ? {} : { table }),
    ...(p.address === undefined ? {} : { address: p.address }),
    ...(p.writeAddress === undefined ? {} : { writeAddress: p.writeAddress }),
    count,
    type,
    byteOrder: p.byteOrder ?? ctx.byteOrder,
    ...(p.bit === undefined ? {} : { bit: p.bit }),
    ...(p.length === undefined ? {} : { length: p.length }),
    scale: p.scale ?? PROFILE_DEFAULTS.point.scale,
    offset: p.offset ?? PROFILE_DEFAULTS.point.offset,
    ...(p.unit === undefined ? {} : { unit: p.unit }),
    access,
    ...(p.enum === undefined
      ? {}
      : { enumValues: Object.fromEntries(Object.entries(p.enum).map(([k, v]) => [Number(k), v])) }),
    ...(p.bits === undefined
      ? {}
      : { bits: Object.fromEntries(Object.entries(p.bits).map(([k, v]) => [Number(k), v])) }),
    ...(p.line === undefined
      ? {}
      : { line: p.line, activeLow: p.activeLow ?? PROFILE_DEFAULTS.point.activeLow }),
    ...(p.safeValue === undefined ? {} : { safeValue: p.safeValue }),
    ...(p.min === undefined ? {} : { min: p.min }),
    ...(p.max === undefined ? {} : { max: p.max }),
    ...(rawType === undefined ? {} : { rawType }),
    pollGroup,
    pollPeriodMs: ctx.pollGroups.get(pollGroup) ?? 0,
    deadband: p.deadband ?? PROFILE_DEFAULTS.point.deadband,
  };
  return def;
}

function checkAddresses(
  key: string,
  def: PointDefinition,
  p: DocPoint,
  ctx: PointBuildContext,
): boolean {
  const { issues } = ctx;
  const rep = p.repeat;
  const instances = rep?.count ?? 1;
  const stride = rep?.stride ?? 0;
  let ok = true;
  const limit =
    def.table === 'coil' || def.table === 'discrete'
      ? MODBUS_LIMITS.maxCoilsPerRead
      : MODBUS_LIMITS.maxRegistersPerRead;
  if (def.count > limit) {
    issues.error(
      `points.${key}`,
      `spans ${def.count} registers, more than one read can return (${limit})`,
    );
    ok = false;
  }
  for (const field of ['address', 'writeAddress'] as const) {
    const base = def[field];
    if (base === undefined) continue;
    const last = base + (instances - 1) * stride + def.count - 1;
    if (last > MODBUS_LIMITS.maxAddress) {
      const what =
        instances > 1
          ? `the last of ${instances} instances ends at ${last}`
          : `address ${base} + ${def.count} register(s) ends at ${last}`;
      issues.error(`points.${key}.${field}`, `must stay within 0..65535: ${what}`);
      ok = false;
    }
    if (
      ctx.alignment === 'even' &&
      def.count >= 2 &&
      (base % 2 === 1 || (instances > 1 && stride % 2 === 1))
    ) {
      issues.error(
        `points.${key}.${field}`,
        `multi-register values start on even addresses in this device's map (modbus.alignment: even); ${base} is odd (1-based documentation off by one?)`,
      );
      ok = false;
    }
    if (def.table === 'input' && base >= 30001 && base <= 39999) {
      issues.warn(
        `points.${key}.${field}`,
        `${base} looks like a 1-based reference number; addresses are 0-based PDU addresses (30001 → 0)`,
      );
    }
    if (def.table === 'holding' && base >= 40001 && base <= 49999) {
      issues.warn(
        `points.${key}.${field}`,
        `${base} looks like a 1-based reference number; addresses are 0-based PDU addresses (40001 → 0)`,
      );
    }
  }
  if (rep && rep.count > 1) {
    if (stride === 0) {
      issues.error(
        `points.${key}.repeat.stride`,
        'must be above 0 when count > 1 (every instance would share one address)',
      );
      ok = false;
    } else if (stride < def.count) {
      issues.error(
        `points.${key}.repeat.stride`,
        `${stride} is smaller than the ${def.count} registers of one instance (instances would overlap)`,
      );
      ok = false;
    }
  }
  return ok;
}

function expand(key: string, def: PointDefinition, p: DocPoint): PointDefinition[] {
  const rep = p.repeat;
  if (!rep) return [def];
  const from = rep.from ?? PROFILE_DEFAULTS.repeat.from;
  const out: PointDefinition[] = [];
  for (let k = 0; k < rep.count; k++) {
    const index = from + k;
    const fill = (s: string): string => s.replace(/\{i\}/g, String(index));
    out.push({
      ...def,
      name: fill(key),
      ...(def.description === undefined ? {} : { description: fill(def.description) }),
      ...(def.address === undefined ? {} : { address: def.address + k * rep.stride }),
      ...(def.writeAddress === undefined
        ? {}
        : { writeAddress: def.writeAddress + k * rep.stride }),
      instance: { template: key, index },
    });
  }
  return out;
}

function warnOverlaps(
  points: readonly PointDefinition[],
  templateOf: ReadonlyMap<string, string>,
  issues: IssueCollector,
): void {
  const spans = points
    .filter(
      (p) =>
        p.table !== undefined && p.address !== undefined && p.bit === undefined && p.access !== 'w',
    )
    .map((p) => ({ p, start: p.address ?? 0, end: (p.address ?? 0) + p.count }))
    .sort((a, b) => (a.p.table ?? '').localeCompare(b.p.table ?? '') || a.start - b.start);
  for (let i = 1; i < spans.length; i++) {
    const a = spans[i - 1];
    const b = spans[i];
    if (!a || !b || a.p.table !== b.p.table) continue;
    const same = a.start === b.start && a.end === b.end;
    if (b.start < a.end && !same) {
      issues.warn(
        `points.${templateOf.get(b.p.name) ?? b.p.name}.address`,
        `overlaps ${a.p.name} (${a.p.table} ${a.start}..${a.end - 1})`,
      );
    }
  }
}

/** Validates and expands every point entry; reports problems to ctx.issues. */
export function buildPoints(doc: ProfileDocument, ctx: PointBuildContext): BuiltPoints {
  const points: PointDefinition[] = [];
  const brokenTemplates: string[] = [];
  const owner = new Map<string, string>();
  const lines = new Map<string, string>();
  if (ctx.issues.hasErrorAt('points'))
    return { points, brokenTemplates: Object.keys(doc.points ?? {}) };
  for (const [key, p] of Object.entries(doc.points ?? {})) {
    if (ctx.skip(`points.${key}`)) {
      brokenTemplates.push(key);
      continue;
    }
    const hasI = key.includes('{i}');
    if (p.repeat && !hasI) {
      ctx.issues.error(
        `points.${key}`,
        'a repeated point needs {i} in its name, e.g. ballast_{i}_level',
      );
      brokenTemplates.push(key);
      continue;
    }
    if (!p.repeat && hasI) {
      ctx.issues.error(`points.${key}.repeat`, 'is required: the name holds {i}');
      brokenTemplates.push(key);
      continue;
    }
    const def = checkPoint(key, p, ctx);
    if (!def || !checkAddresses(key, def, p, ctx)) {
      brokenTemplates.push(key);
      continue;
    }
    if (def.line !== undefined) {
      const other = lines.get(def.line);
      if (other !== undefined) {
        ctx.issues.error(`points.${key}.line`, `${def.line} is already used by points.${other}`);
      }
      lines.set(def.line, key);
    }
    for (const inst of expand(key, def, p)) {
      const prev = owner.get(inst.name);
      if (prev !== undefined) {
        ctx.issues.error(
          `points.${key}`,
          prev === key
            ? `expands to "${inst.name}" twice`
            : `expands to "${inst.name}", which points.${prev} also defines`,
        );
        continue;
      }
      owner.set(inst.name, key);
      points.push(inst);
    }
  }
  warnOverlaps(points, owner, ctx.issues);
  return { points, brokenTemplates };
}
