import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '@fleet/common';

describe('packageRoot', () => {
  it('finds the directory holding the device profiles', () => {
    expect(existsSync(join(packageRoot(), 'package.json'))).toBe(true);
  });
});
