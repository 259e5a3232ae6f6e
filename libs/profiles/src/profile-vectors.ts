import { validateCommandParameters } from './command-parameters.js';
import { resolveCommand, resolveSafetyStop } from './command-resolver.js';
import { IssueCollector } from './issue-collector.js';
import { decodePoint } from './point-codec.js';
import type { ProfileIssue } from './profile-issue.js';
import type {
  DeviceProfile,
  Operation,
  PointDefinition,
  PointValue,
  RegisterTable,
} from './profile.types.js';
import { schemaValidator } from './schema-validator.js';
import { readYaml } from './yaml-source.js';

export const VECTORS_SCHEMA_FILE = 'profile-vectors.schema.json';
export const VECTORS_SCHEMA_COMMENT = `# yaml-language-server: $schema=../schema/${VECTORS_SCHEMA_FILE}`;

type Json = unknown;
type Dump = Record<string, string | number>;

interface VectorsDocument {
  profile: string;
  readings?: {
    name: string;
    registers?: Partial<Record<RegisterTable, Dump>>;
    lines?: Record<string, 0 | 1>;
    expect: Record<string, Json>;
    tolerance?: number;
  }[];
  commands?: {
    name: string;
    command: string;
    params?: Record<string, unknown>;
    address?: number;
    expect: Record<string, Json>[];
    safetyStop?: Record<string, Json>[];
  }[];
  rejects?: {
    name?: string;
    command: string;
    params?: Record<string, unknown>;
    issues: string[];
  }[];
}

export interface VectorsCheckResult {
  issues: ProfileIssue[];
  /** Point templates (or names) decoded by at least one reading. */
  coveredPoints: Set<string>;
  /** Commands exercised by at least one command vector. */
  coveredCommands: Set<string>;
}

function hexBytes(text: string): number[] {
  return text
    .trim()
    .split(/\s+/)
    .filter(Boolean)
    .map((t) => {
      if (!/^[0-9a-fA-F]{1,4}$/.test(t)) throw new Error(`"${t}" is not a hex value`);
      return parseInt(t, 16);
    });
}

function image(dump: Dump, bits: boolean): Map<number, number | boolean> {
  const out = new Map<number, number | boolean>();
  for (const [start, values] of Object.entries(dump)) {
    const tokens = typeof values === 'number' ? [String(values)] : values.trim().split(/\s+/);
    tokens.forEach((t, k) => {
      if (bits) {
        if (t !== '0' && t !== '1') throw new Error(`"${t}" at ${Number(start) + k} is not 0 or 1`);
        out.set(Number(start) + k, t === '1');
      } else {
        const [w] = hexBytes(t);
        if (w === undefined) throw new Error(`empty word at ${Number(start) + k}`);
        out.set(Number(start) + k, w);
      }
    });
  }
  return out;
}

function close(
  actual: PointValue,
  expected: Json,
  p: PointDefinition,
  tolerance?: number,
): boolean {
  if (typeof actual === 'bigint') {
    return (
      (typeof expected === 'string' || typeof expected === 'number') && BigInt(expected) === actual
    );
  }
  if (typeof actual === 'number' && typeof expected === 'number') {
    if (tolerance !== undefined) return Math.abs(actual - expected) <= tolerance;
    // float32 carries ~7 significant digits: accept the nearest float32 to the written decimal.
    const rel = p.type === 'float32' || p.rawType === 'float32' ? 2 ** -23 : 1e-12;
    return Math.abs(actual - expected) <= Math.abs(expected) * rel;
  }
  return canonical(actual) === canonical(expected);
}

/** JSON with sorted keys, so key order never decides equality. */
function canonical(x: Json): string {
  return JSON.stringify(x, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)),
        )
      : v,
  );
}

const hex = (b: ArrayLike<number>): string =>
  Array.from(b, (x) => x.toString(16).padStart(2, '0').toUpperCase()).join(' ');

/** An operation in the vectors' notation, for exact comparison and readable diffs. */
function notation(op: Operation): Record<string, Json> {
  switch (op.kind) {
    case 'modbus-write':
      return {
        'modbus-write': {
          table: op.table,
          address: op.address,
          values:
            op.table === 'holding'
              ? (op.values as number[])
                  .map((w) => w.toString(16).padStart(4, '0').toUpperCase())
                  .join(' ')
              : [...op.values],
          ...(op.point === undefined ? {} : { point: op.point }),
          ...(op.verify ? { verify: op.verify } : {}),
        },
      };
    case 'modbus-read':
      return { 'modbus-read': [...op.points] };
    case 'serial-frame':
      return {
        'serial-frame':
          op.replyLength === undefined && op.reply === undefined
            ? hex(op.bytes)
            : {
                bytes: hex(op.bytes),
                ...(op.replyLength === undefined ? {} : { replyLength: op.replyLength }),
                ...(op.reply ? { reply: op.reply.value } : {}),
              },
      };
    case 'gpio-write':
      return {
        'gpio-write': {
          line: op.line,
          value: op.value,
          ...(op.activeLow ? { activeLow: true } : {}),
          ...(op.point === undefined ? {} : { point: op.point }),
        },
      };
    case 'delay':
      return { delay: op.ms };
  }
}

/** Expected operations normalised the same way (hex case/spacing, numeric words as hex). */
function normaliseExpected(
  e: Record<string, Json>,
  actual: Record<string, Json> | undefined,
): Record<string, Json> {
  const w = e['modbus-write'] as Record<string, Json> | undefined;
  if (w) {
    const values = w.values;
    const words =
      typeof values === 'string'
        ? hexBytes(values)
        : Array.isArray(values) && values.every((v) => typeof v === 'number')
          ? values
          : undefined;
    const aw = actual?.['modbus-write'] as Record<string, Json> | undefined;
    return {
      'modbus-write': {
        ...w,
        values: words
          ? words.map((x) => x.toString(16).padStart(4, '0').toUpperCase()).join(' ')
          : values,
        // The point name is informative; compare it only when the vector states it.
        ...(w.point === undefined && aw?.point !== undefined ? { point: aw.point } : {}),
      },
    };
  }
  const f = e['serial-frame'];
  if (typeof f === 'string')
    return { 'serial-frame': hex(hexBytes(f.replace(/(\S{2})(?=\S)/g, '$1 '))) };
  if (f && typeof f === 'object') {
    const o = f as Record<string, Json>;
    return { 'serial-frame': { ...o, bytes: hex(hexBytes(String(o.bytes))) } };
  }
  const g = e['gpio-write'] as Record<string, Json> | undefined;
  const ag = actual?.['gpio-write'] as Record<string, Json> | undefined;
  if (g)
    return {
      'gpio-write': {
        ...g,
        ...(g.point === undefined && ag?.point !== undefined ? { point: ag.point } : {}),
      },
    };
  return e;
}

function compareOps(
  issues: IssueCollector,
  path: string,
  actual: Operation[],
  expected: Record<string, Json>[],
): void {
  const got = actual.map(notation);
  const n = Math.max(got.length, expected.length);
  for (let k = 0; k < n; k++) {
    const a = got[k];
    const e = expected[k];
    if (!e) {
      issues.error(`${path}.${k}`, `unexpected extra operation ${JSON.stringify(a)}`);
      continue;
    }
    if (!a) {
      issues.error(`${path}.${k}`, `missing operation, expected ${JSON.stringify(e)}`);
      continue;
    }
    const want = normaliseExpected(e, a);
    if (canonical(a) !== canonical(want)) {
      issues.error(`${path}.${k}`, `got ${canonical(a)}, expected ${canonical(want)}`);
    }
  }
}

function readingIssues(
  profile: DeviceProfile,
  doc: VectorsDocument,
  issues: IssueCollector,
  covered: Set<string>,
): void {
  const points = new Map(profile.points.map((p) => [p.name, p]));
  (doc.readings ?? []).forEach((r, i) => {
    const at = `readings.${i}`;
    const tables = new Map<RegisterTable, Map<number, number | boolean>>();
    try {
      for (const [table, dump] of Object.entries(r.registers ?? {}) as [RegisterTable, Dump][]) {
        tables.set(table, image(dump, table === 'coil' || table === 'discrete'));
      }
    } catch (e) {
      issues.error(`${at}.registers`, e instanceof Error ? e.message : String(e));
      return;
    }
    for (const [name, expected] of Object.entries(r.expect)) {
      const p = points.get(name);
      if (!p) {
        issues.error(`${at}.expect.${name}`, `${profile.id} has no point "${name}"`);
        continue;
      }
      let data: (number | boolean)[];
      if (p.line !== undefined) {
        const level = r.lines?.[p.line];
        if (level === undefined) {
          issues.error(`${at}.expect.${name}`, `line ${p.line} is not in the vector's lines`);
          continue;
        }
        data = [level === 1];
      } else {
        const t = tables.get(p.table ?? 'holding');
        const base = p.address ?? 0;
        const missing = Array.from({ length: p.count }, (_, k) => base + k).filter(
          (a) => !t?.has(a),
        );
        if (missing.length > 0) {
          issues.error(
            `${at}.expect.${name}`,
            `${p.table ?? ''} register(s) ${missing.map((a) => `0x${a.toString(16).padStart(4, '0').toUpperCase()}`).join(', ')} not in the dump`,
          );
          continue;
        }
        data = Array.from({ length: p.count }, (_, k) => t?.get(base + k) ?? 0);
      }
      let actual: PointValue;
      try {
        actual = decodePoint(p, data as number[] | boolean[]);
      } catch (e) {
        issues.error(`${at}.expect.${name}`, e instanceof Error ? e.message : String(e));
        continue;
      }
      covered.add(p.instance?.template ?? p.name);
      if (!close(actual, expected, p, r.tolerance)) {
        const shown = typeof actual === 'bigint' ? actual.toString() : JSON.stringify(actual);
        issues.error(
          `${at}.expect.${name}`,
          `decoded ${shown}, expected ${JSON.stringify(expected)}`,
        );
      }
    }
  });
}

function commandIssues(
  profile: DeviceProfile,
  doc: VectorsDocument,
  issues: IssueCollector,
  covered: Set<string>,
): void {
  (doc.commands ?? []).forEach((c, i) => {
    const at = `commands.${i}`;
    const opts = c.address === undefined ? {} : { address: c.address };
    try {
      compareOps(
        issues,
        `${at}.expect`,
        resolveCommand(profile, c.command, c.params ?? {}, opts),
        c.expect,
      );
      if (c.safetyStop) {
        compareOps(
          issues,
          `${at}.safetyStop`,
          resolveSafetyStop(profile, c.command, c.params ?? {}, opts),
          c.safetyStop,
        );
      }
      covered.add(c.command);
    } catch (e) {
      issues.error(at, e instanceof Error ? e.message : String(e));
    }
  });
  (doc.rejects ?? []).forEach((r, i) => {
    const got = validateCommandParameters(profile, r.command, r.params ?? {}).map((x) => x.message);
    if (JSON.stringify(got) !== JSON.stringify(r.issues)) {
      issues.error(
        `rejects.${i}.issues`,
        `got ${JSON.stringify(got)}, expected ${JSON.stringify(r.issues)}`,
      );
    }
  });
}

/** Checks a vectors file against a loaded profile; every mismatch is an issue naming its path. */
export function checkVectorsSource(
  profile: DeviceProfile,
  fileName: string,
  text: string,
): VectorsCheckResult {
  const coveredPoints = new Set<string>();
  const coveredCommands = new Set<string>();
  const src = readYaml(text);
  const issues = new IssueCollector(fileName, src.lineOf);
  const result = (): VectorsCheckResult => ({
    issues: issues.issues,
    coveredPoints,
    coveredCommands,
  });
  if (src.syntaxErrors.length > 0) {
    for (const e of src.syntaxErrors) {
      issues.error(
        '',
        `YAML syntax error${e.line === undefined ? '' : ` at line ${e.line}`}: ${e.message}`,
      );
    }
    return result();
  }
  for (const v of schemaValidator(VECTORS_SCHEMA_FILE)(src.data)) issues.error(v.path, v.message);
  if (issues.hasErrors) return result();
  if (!text.startsWith(VECTORS_SCHEMA_COMMENT)) {
    issues.warn('', `should start with "${VECTORS_SCHEMA_COMMENT}" so editors validate it`);
  }
  const doc = src.data as VectorsDocument;
  if (doc.profile !== profile.id) {
    issues.error(
      'profile',
      `names "${doc.profile}", but the vectors are checked against "${profile.id}"`,
    );
    return result();
  }
  readingIssues(profile, doc, issues, coveredPoints);
  commandIssues(profile, doc, issues, coveredCommands);
  return result();
}
