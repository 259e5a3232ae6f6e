import fc from 'fast-check';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import {
  checkProfileSource,
  defaultProfilesDir,
  formatProfileIssue,
  parseProfile,
  ProfileValidationError,
  type ProfileCheckResult,
} from '@fleet/profiles';
import { hostileJson, hostileString } from '../support/security/hostile-values.js';
import { mutatedDocument } from '../support/security/json-mutation.js';
import { propertyParameters, withinHangLimit } from '../support/security/property-budget.js';

const SCHEMA_COMMENT = '# yaml-language-server: $schema=./schema/device-profile.schema.json\n';
const shipped = readdirSync(defaultProfilesDir())
  .filter((f) => f.endsWith('.yaml'))
  .map((file) => {
    const text = readFileSync(join(defaultProfilesDir(), file), 'utf8');
    return { file, text, doc: parseYaml(text) as unknown };
  });

/** Whole-file problems are the only ones reported without a path. */
const ROOT_MESSAGES =
  /^(YAML syntax error|must be a YAML mapping|should start with|is \d+ characters|unknown property)/;

function expectClearResult(file: string, result: ProfileCheckResult): void {
  const errors = result.issues.filter((i) => i.severity === 'error');
  if (result.profile) expect(errors).toEqual([]);
  else expect(errors.length).toBeGreaterThan(0);
  for (const issue of result.issues) {
    expect(issue.file).toBe(file);
    expect(typeof issue.path).toBe('string');
    expect(issue.message.trim().length).toBeGreaterThan(0);
    if (issue.path === '') expect(issue.message).toMatch(ROOT_MESSAGES);
    if (issue.line !== undefined) expect(issue.line).toBeGreaterThanOrEqual(1);
  }
}

/** parseProfile agrees with checkProfileSource and throws nothing but ProfileValidationError. */
function expectParseAgrees(file: string, text: string, result: ProfileCheckResult): void {
  try {
    const profile = parseProfile(file, text);
    expect(result.profile).toBeDefined();
    expect(profile.id).toBe(result.profile!.id);
  } catch (error) {
    expect(error).toBeInstanceOf(ProfileValidationError);
    const e = error as ProfileValidationError;
    expect(result.profile).toBeUndefined();
    expect(e.code).toBe('PROFILE_INVALID');
    const first = e.issues.find((i) => i.severity === 'error')!;
    expect(e.message).toContain(formatProfileIssue(first));
  }
}

function check(file: string, text: string): ProfileCheckResult {
  const result = withinHangLimit(`checkProfileSource(${file})`, () =>
    checkProfileSource(file, text),
  );
  expectClearResult(file, result);
  return result;
}

/** YAML-flavoured noise: indentation, flow collections, anchors, aliases, tags, merges. */
const yamlish: fc.Arbitrary<string> = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        'id: x\n',
        'points:\n',
        '  - ',
        '  ',
        ': ',
        '- ',
        '[',
        ']',
        '{',
        '}',
        ',',
        '&a ',
        '*a',
        '<<: *a\n',
        '!!binary ',
        '!!set ',
        '!!int ',
        '!!float .inf',
        '? ',
        '|\n',
        '>\n',
        '---\n',
        '...\n',
        '%YAML 1.2\n',
        '"',
        "'",
        '#',
        '\t',
        '\n',
        '~',
        'null',
        '0x1F',
        '1e999',
        '-.inf',
        '.nan',
        'true',
      ),
      fc.stringMatching(/^[a-z_]{1,10}$/),
      hostileString(8),
    ),
    { maxLength: 60 },
  )
  .map((parts) => parts.join(''));

/** Aliases that expand exponentially ("billion laughs") or merge keys into every mapping. */
const aliasBomb: fc.Arbitrary<string> = fc
  .tuple(fc.integer({ min: 2, max: 12 }), fc.integer({ min: 2, max: 12 }), fc.boolean())
  .map(([levels, fanOut, merge]) => {
    const lines = [
      SCHEMA_COMMENT.trim(),
      'id: bomb',
      `l0: &l0 [${Array(fanOut).fill('"lol"').join(', ')}]`,
    ];
    for (let i = 1; i <= levels; i++) {
      lines.push(
        merge
          ? `l${i}: &l${i} { <<: [${Array.from({ length: Math.min(fanOut, i) }, (_, k) => `*m${k}`).join(', ')}], k${i}: [${Array(
              fanOut,
            )
              .fill(`*l${i - 1}`)
              .join(', ')}] }`
          : `l${i}: &l${i} [${Array(fanOut)
              .fill(`*l${i - 1}`)
              .join(', ')}]`,
      );
      if (merge) lines.splice(2, 0, `m${i - 1}: &m${i - 1} { a${i}: 1 }`);
    }
    return `${lines.join('\n')}\npoints: *l${levels}\n`;
  });

const hugeNumbers = fc.constantFrom(
  '1e400',
  '-1e400',
  '18446744073709551617',
  '0x' + 'f'.repeat(40),
  '.inf',
  '.nan',
  '-0',
  '1_000',
);

describe('device-profile files under hostile input', () => {
  it('random YAML text gives a profile or issues naming file, path and reason; never a crash', () => {
    const input = fc.oneof(
      { weight: 3, arbitrary: yamlish },
      { weight: 2, arbitrary: hostileJson().map((v) => SCHEMA_COMMENT + stringifyYaml(v)) },
      { weight: 1, arbitrary: hostileString(400) },
      { weight: 1, arbitrary: aliasBomb },
    );
    fc.assert(
      fc.property(
        fc.constantFrom('a.yaml', 'streetlight-controller.yaml', 'x.yml', ''),
        input,
        (file, text) => {
          const result = check(file, text);
          expectParseAgrees(file, text, result);
        },
      ),
      propertyParameters(),
    );
  });

  it('mutated shipped profiles (fields dropped, replaced, retyped, huge, nested deep) are valid or say which field is wrong', () => {
    const mutated = fc
      .constantFrom(...shipped)
      .chain(({ file, doc }) =>
        mutatedDocument(doc).map(({ path, mutation, value }) => ({ file, path, mutation, value })),
      );
    const seen = { valid: 0, refused: 0 };
    fc.assert(
      fc.property(mutated, hugeNumbers, fc.boolean(), ({ file, value }, huge, rawNumber) => {
        let text = SCHEMA_COMMENT + stringifyYaml(value, { aliasDuplicateObjects: false });
        // Numbers the JSON side cannot express, spliced in as YAML scalars.
        if (rawNumber) text = text.replace(/: (-?\d+(\.\d+)?)\n/, `: ${huge}\n`);
        const result = check(file, text);
        if (result.profile) seen.valid += 1;
        else seen.refused += 1;
        expectParseAgrees(file, text, result);
      }),
      propertyParameters(),
    );
    expect(seen.valid).toBeGreaterThan(300);
    expect(seen.refused).toBeGreaterThan(3000);
    // Each case runs the whole checker on a full profile: minutes on a loaded 2-core machine.
  }, 900_000);

  it('every shipped profile is valid as shipped', () => {
    for (const { file, text } of shipped)
      expect(check(file, text).profile?.id).toBe(file.replace('.yaml', ''));
  });
});
