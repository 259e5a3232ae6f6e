import { fileURLToPath } from 'node:url';
import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';

const lib = (name: string): string =>
  fileURLToPath(new URL(`./libs/${name}/src/index.ts`, import.meta.url));

// SWC (not esbuild) compiles tests so Nest's decorator metadata is emitted.
export default defineConfig({
  plugins: [swc.vite({ module: { type: 'es6' }, tsconfigFile: './tsconfig.json' })],
  resolve: {
    alias: {
      '@fleet/common': lib('common'),
      '@fleet/contracts': lib('contracts'),
      '@fleet/profiles': lib('profiles'),
      '@fleet/fieldbus': lib('fieldbus'),
      '@fleet/firmware': lib('firmware'),
      '@fleet/devsim': lib('devsim'),
    },
  },
  test: {
    env: { TZ: 'UTC' },
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['apps/*/src/**/*.spec.ts', 'libs/*/src/**/*.spec.ts', 'scripts/**/*.spec.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          testTimeout: 180_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
      {
        extends: true,
        test: {
          name: 'property',
          include: ['test/property/**/*.test.ts'],
          testTimeout: 300_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'reliability',
          include: ['test/reliability/**/*.test.ts'],
          testTimeout: 600_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
      {
        extends: true,
        test: {
          name: 'browser',
          include: ['test/browser/**/*.test.ts'],
          testTimeout: 180_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
