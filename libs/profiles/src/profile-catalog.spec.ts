import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  formatProfileIssue,
  loadProfileCatalog,
  ProfileNotFoundError,
  ProfileValidationError,
} from '@fleet/profiles';

const HEADER = '# yaml-language-server: $schema=./schema/device-profile.schema.json\n';

const good = (id: string): string => `${HEADER}id: ${id}
vendor: Acme
model: ${id.toUpperCase()}
version: 1.0.0
transports:
  modbus-tcp: {}
points:
  temperature: { table: input, address: 0, type: int16, scale: 0.1, unit: °C }
`;

describe('loadProfileCatalog', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'profiles-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('loads every yaml file of a directory and looks profiles up by id', async () => {
    await writeFile(join(dir, 'beta.yaml'), good('beta'));
    await writeFile(join(dir, 'alpha.yaml'), good('alpha'));
    await writeFile(join(dir, 'README.txt'), 'not a profile');
    const catalog = await loadProfileCatalog(dir);
    expect(catalog.list().map((p) => p.id)).toEqual(['alpha', 'beta']);
    expect(catalog.has('alpha')).toBe(true);
    expect(catalog.has('gamma')).toBe(false);
    expect(catalog.get('beta').model).toBe('BETA');
  });

  it('throws a typed not-found error naming the available ids', async () => {
    await writeFile(join(dir, 'alpha.yaml'), good('alpha'));
    const catalog = await loadProfileCatalog(dir);
    expect(() => catalog.get('nope')).toThrow(ProfileNotFoundError);
    try {
      catalog.get('nope');
    } catch (e) {
      expect((e as ProfileNotFoundError).code).toBe('PROFILE_NOT_FOUND');
      expect((e as Error).message).toBe('device profile "nope" not found (available: alpha)');
    }
  });

  it('fails the load with every error of every file, each naming its file', async () => {
    await writeFile(join(dir, 'alpha.yaml'), good('alpha').replace('address: 0', 'address: -1'));
    await writeFile(join(dir, 'beta.yaml'), good('beta').replace('type: int16', 'type: int17'));
    await writeFile(join(dir, 'gamma.yaml'), good('gamma'));
    const err = await loadProfileCatalog(dir).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ProfileValidationError);
    const lines = (err as ProfileValidationError).issues.map(formatProfileIssue);
    expect(lines).toEqual([
      'alpha.yaml: points.temperature.address: must be 0..65535 (got -1)',
      expect.stringMatching(
        /^beta\.yaml: points\.temperature\.type: must be one of: bool, int16, .* \(got "int17"\)$/,
      ),
    ]);
  });

  it('loads the shipped profiles from the package root by default', async () => {
    const catalog = await loadProfileCatalog();
    expect(catalog.list().length).toBeGreaterThan(0);
    expect(catalog.get('eastron-sdm630').points.find((p) => p.name === 'frequency')).toMatchObject({
      table: 'input',
      address: 0x46,
      type: 'float32',
      unit: 'Hz',
    });
  });
});
