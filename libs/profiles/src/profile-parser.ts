import { basename } from 'node:path';
import { buildCommands } from './command-builder.js';
import { IssueCollector } from './issue-collector.js';
import { buildPoints } from './point-builder.js';
import type { ProfileDocument } from './profile-document.js';
import { PROFILE_DEFAULTS } from './profile-defaults.js';
import type { ProfileIssue } from './profile-issue.js';
import { ProfileValidationError } from './profile-validation.error.js';
import type { DeviceProfile } from './profile.types.js';
import { schemaValidator } from './schema-validator.js';
import { buildTransports } from './transport-builder.js';
import { readYaml } from './yaml-source.js';

export const PROFILE_SCHEMA_FILE = 'device-profile.schema.json';
export const PROFILE_SCHEMA_COMMENT = `# yaml-language-server: $schema=./schema/${PROFILE_SCHEMA_FILE}`;

export interface ProfileCheckResult {
  /** Present when the file has no errors. */
  profile?: DeviceProfile;
  /** Every error and warning of the file. */
  issues: ProfileIssue[];
}

function pollGroupsOf(
  doc: ProfileDocument,
  issues: IssueCollector,
): { groups: Map<string, number>; fallback: string } {
  const declared = Object.entries(doc.pollGroups ?? {});
  // The schema has already reported a group that is not a mapping; keep its name so points naming it
  // are not reported twice.
  const groups = new Map(
    declared.map(([name, g]) => [name, typeof g === 'object' && g !== null ? g.periodMs : NaN]),
  );
  if (groups.size === 0) {
    const d = PROFILE_DEFAULTS.pollGroup;
    groups.set(d.name, d.periodMs);
  }
  const fallback = doc.defaultPollGroup ?? [...groups.keys()][0] ?? PROFILE_DEFAULTS.pollGroup.name;
  if (doc.defaultPollGroup !== undefined && !groups.has(doc.defaultPollGroup)) {
    issues.error(
      'defaultPollGroup',
      `unknown poll group "${doc.defaultPollGroup}" (defined: ${[...groups.keys()].join(', ')})`,
    );
  }
  return { groups, fallback };
}

function build(
  file: string,
  doc: ProfileDocument,
  issues: IssueCollector,
): DeviceProfile | undefined {
  const skip = (path: string): boolean => issues.hasErrorUnder(path);
  const expectedId = basename(file).replace(/\.ya?ml$/i, '');
  if (!skip('id') && doc.id !== expectedId) {
    issues.error('id', `must match the file name ("${expectedId}"), got "${doc.id}"`);
  }
  const transportsBroken = skip('transports') || skip('modbus');
  const transports = transportsBroken ? [] : buildTransports(doc, issues);
  const { groups, fallback } = pollGroupsOf(doc, issues);
  const { points, brokenTemplates } = buildPoints(doc, {
    issues,
    pollGroups: groups,
    defaultPollGroup: fallback,
    byteOrder: doc.modbus?.byteOrder ?? PROFILE_DEFAULTS.modbus.byteOrder,
    alignment: doc.modbus?.alignment ?? PROFILE_DEFAULTS.modbus.alignment,
    skip,
  });
  if (!transportsBroken) {
    const kinds = new Set(transports.map((t) => t.kind));
    const modbus = kinds.has('modbus-rtu') || kinds.has('modbus-tcp');
    const firstModbus = points.find((p) => p.table !== undefined);
    const firstGpio = points.find((p) => p.line !== undefined);
    if (firstModbus && !modbus) {
      issues.error(
        `points.${firstModbus.instance?.template ?? firstModbus.name}.table`,
        'Modbus points need a modbus-rtu or modbus-tcp transport',
      );
    }
    if (firstGpio && !kinds.has('gpio')) {
      issues.error(`points.${firstGpio.name}.line`, 'GPIO points need a gpio transport');
    }
    if (modbus && !firstModbus && !skip('points'))
      issues.warn('transports', 'declares Modbus but no point uses a register table');
    if (kinds.has('gpio') && !firstGpio && !skip('points'))
      issues.warn('transports.gpio', 'is declared but no point names a line');
  }
  const used = new Set(points.map((p) => p.pollGroup));
  for (const g of Object.keys(doc.pollGroups ?? {})) {
    if (!used.has(g)) issues.warn(`pollGroups.${g}`, 'is not used by any point');
  }
  const profile: DeviceProfile = {
    id: doc.id,
    vendor: doc.vendor,
    model: doc.model,
    version: doc.version,
    // The schema has already reported a description of the wrong type; build the rest regardless.
    ...(typeof doc.description === 'string' ? { description: doc.description.trim() } : {}),
    ...(doc.category === undefined ? {} : { category: doc.category }),
    source: file,
    transports,
    points,
    commands: [],
  };
  const commands = buildCommands(doc, profile, brokenTemplates, issues, skip);
  return issues.hasErrors ? undefined : { ...profile, commands };
}

/** Validates one profile file (schema, then semantics) and reports every issue; never throws on bad input. */
export function checkProfileSource(fileName: string, text: string): ProfileCheckResult {
  const src = readYaml(text);
  const issues = new IssueCollector(fileName, src.lineOf);
  if (src.syntaxErrors.length > 0) {
    for (const e of src.syntaxErrors) {
      issues.error(
        '',
        `YAML syntax error${e.line === undefined ? '' : ` at line ${e.line}`}: ${e.message}`,
      );
    }
    return { issues: issues.issues };
  }
  if (typeof src.data !== 'object' || src.data === null || Array.isArray(src.data)) {
    issues.error('', 'must be a YAML mapping (id, vendor, model, ...)');
    return { issues: issues.issues };
  }
  if (!text.startsWith(PROFILE_SCHEMA_COMMENT)) {
    issues.warn('', `should start with "${PROFILE_SCHEMA_COMMENT}" so editors validate it`);
  }
  for (const v of schemaValidator(PROFILE_SCHEMA_FILE)(src.data)) issues.error(v.path, v.message);
  const profile = build(fileName, src.data as ProfileDocument, issues);
  return { ...(profile ? { profile } : {}), issues: issues.issues };
}

/** Parses and validates one profile; throws ProfileValidationError listing every error of the file. */
export function parseProfile(fileName: string, text: string): DeviceProfile {
  const { profile, issues } = checkProfileSource(fileName, text);
  if (!profile) throw new ProfileValidationError(issues);
  return profile;
}
