import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  checkVectorsSource,
  defaultProfilesDir,
  formatProfileIssue,
  loadProfileCatalog,
  parseProfile,
  type ProfileCatalog,
} from '@fleet/profiles';

const SHIPPED = [
  'eastron-sdm630',
  'eastron-sdm120',
  'streetlight-controller',
  'dali-modbus-gateway',
  'pelco-d-camera',
  'gpio-relay-board',
];

describe('golden vectors of the shipped profiles', () => {
  let catalog: ProfileCatalog;

  beforeAll(async () => {
    catalog = await loadProfileCatalog();
  });

  it('ships exactly the profiles the fleet relies on', () => {
    expect(
      catalog
        .list()
        .map((p) => p.id)
        .sort(),
    ).toEqual([...SHIPPED].sort());
    expect(catalog.warnings.map(formatProfileIssue)).toEqual([]);
  });

  for (const id of SHIPPED) {
    describe(id, () => {
      const file = join(defaultProfilesDir(), 'vectors', `${id}.yaml`);

      it('has a vectors file whose every reading, command and reject matches', () => {
        expect(existsSync(file)).toBe(true);
        const result = checkVectorsSource(
          catalog.get(id),
          `vectors/${id}.yaml`,
          readFileSync(file, 'utf8'),
        );
        expect(result.issues.map(formatProfileIssue)).toEqual([]);
      });

      it('decodes every readable point definition and runs every command at least once', () => {
        const profile = catalog.get(id);
        const result = checkVectorsSource(
          profile,
          `vectors/${id}.yaml`,
          readFileSync(file, 'utf8'),
        );
        const readable = new Set(
          profile.points.filter((p) => p.access !== 'w').map((p) => p.instance?.template ?? p.name),
        );
        expect([...readable].filter((t) => !result.coveredPoints.has(t))).toEqual([]);
        expect(
          profile.commands.map((c) => c.name).filter((c) => !result.coveredCommands.has(c)),
        ).toEqual([]);
      });
    });
  }
});

describe('checkVectorsSource', () => {
  const profile = parseProfile(
    'meter.yaml',
    `# yaml-language-server: $schema=./schema/device-profile.schema.json
id: meter
vendor: Acme
model: M
version: 1.0.0
transports:
  modbus-tcp: {}
points:
  voltage: { table: input, address: 0, type: float32, unit: V }
  level: { table: holding, address: 10, type: uint16, access: rw, max: 100 }
commands:
  setLevel:
    parameters:
      level: { type: integer, min: 0, max: 100 }
    steps:
      - { write: level, value: level }
`,
  );
  const head =
    '# yaml-language-server: $schema=../schema/profile-vectors.schema.json\nprofile: meter\n';

  it('reports a reading that decodes to another value, and registers missing from the dump', () => {
    const text = `${head}readings:
  - name: off by one
    registers:
      input:
        0: 4366 199A
    expect:
      voltage: 230.2
  - name: short dump
    registers:
      input:
        0: 4366
    expect:
      voltage: 230.1
`;
    expect(checkVectorsSource(profile, 'v.yaml', text).issues.map(formatProfileIssue)).toEqual([
      'v.yaml: readings.0.expect.voltage: decoded 230.10000610351562, expected 230.2',
      'v.yaml: readings.1.expect.voltage: input register(s) 0x0001 not in the dump',
    ]);
  });

  it('reports a command whose writes differ from the vector, operation by operation', () => {
    const text = `${head}commands:
  - name: wrong word
    command: setLevel
    params: { level: 40 }
    expect:
      - modbus-write: { table: holding, address: 10, values: '0029' }
      - delay: 100
rejects:
  - command: setLevel
    params: { level: 140 }
    issues: ['level: must be 0..99 (got 140)']
`;
    expect(checkVectorsSource(profile, 'v.yaml', text).issues.map(formatProfileIssue)).toEqual([
      'v.yaml: commands.0.expect.0: got {"modbus-write":{"address":10,"point":"level","table":"holding","values":"0028"}}, expected {"modbus-write":{"address":10,"point":"level","table":"holding","values":"0029"}}',
      'v.yaml: commands.0.expect.1: missing operation, expected {"delay":100}',
      'v.yaml: rejects.0.issues: got ["level: must be 0..100 (got 140)"], expected ["level: must be 0..99 (got 140)"]',
    ]);
  });

  it('rejects vectors written for another profile', () => {
    const text =
      '# yaml-language-server: $schema=../schema/profile-vectors.schema.json\nprofile: other\n';
    expect(checkVectorsSource(profile, 'v.yaml', text).issues.map(formatProfileIssue)).toEqual([
      'v.yaml: profile: names "other", but the vectors are checked against "meter"',
    ]);
  });
});
