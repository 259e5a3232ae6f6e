// Lint rules that keep the layout honest: libs never import apps, the control plane and the
// gateway agent never import each other, libs are imported by alias, services do I/O through ports.
import js from '@eslint/js';
import importX from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

const portOnlyModules = [
  'serialport',
  'modbus-serial',
  'onoff',
  'bullmq',
  'mqtt',
  'aedes',
  'drizzle-orm',
  'drizzle-orm/*',
  'pg',
  'ioredis',
  '@electric-sql/pglite',
  'node:child_process',
];

const noLibInternals = {
  group: ['**/libs/*/src/**', '../../libs/**', '../../../libs/**'],
  message: 'Import libs through their alias (@fleet/<lib>), never by path.',
};

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'data/**',
      'coverage/**',
      'apps/console/dist/**',
      'apps/console/**',
      'bin/**',
      'scripts/*.js',
      'eslint.config.js',
      'drizzle.config.ts',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { 'import-x': importX },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowNumber: true, allowBoolean: true },
      ],
      '@typescript-eslint/no-extraneous-class': 'off',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/no-unnecessary-condition': 'off',
      // Response DTOs are classes only so OpenAPI can describe them; services build them as literals.
      '@typescript-eslint/no-unsafe-class-instance-assignment': 'off',
      // Drizzle's and()/returning() are typed loosely; `!` after a checked query is clearer than casts.
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/consistent-type-imports': 'off',
      'import-x/no-cycle': ['error', { maxDepth: 10 }],
      'no-restricted-imports': ['error', { patterns: [noLibInternals] }],
    },
    settings: { 'import-x/resolver-next': [] },
  },
  {
    files: ['libs/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [noLibInternals, { group: ['**/apps/**'], message: 'libs never import apps.' }],
        },
      ],
    },
  },
  {
    files: [
      'libs/profiles/**/*.ts',
      'libs/fieldbus/**/*.ts',
      'libs/contracts/**/*.ts',
      'libs/firmware/**/*.ts',
      'libs/common/**/*.ts',
      'libs/devsim/**/*.ts',
    ],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            noLibInternals,
            { group: ['**/apps/**'], message: 'libs never import apps.' },
            {
              group: ['@nestjs/*'],
              message: 'This lib runs without Nest (bare Node on the gateway).',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['apps/control-plane/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            noLibInternals,
            {
              group: ['**/gateway-agent/**'],
              message: 'The control plane never imports the gateway agent.',
            },
            { group: ['**/fleetctl/**'], message: 'The control plane never imports fleetctl.' },
          ],
        },
      ],
    },
  },
  {
    files: ['apps/gateway-agent/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            noLibInternals,
            {
              group: ['**/control-plane/**'],
              message: 'The gateway agent never imports the control plane.',
            },
            { group: ['@nestjs/*'], message: 'The agent runs bare on the gateway.' },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.service.ts', '**/*.controller.ts', '**/*.processor.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: portOnlyModules
            .filter((m) => !m.includes('*'))
            .map((name) => ({
              name,
              message:
                'Services and edges do I/O through a port (*.repository.ts, *.driver.ts, *.adapter.ts).',
            })),
          patterns: [
            noLibInternals,
            { group: ['drizzle-orm/*'], message: 'SQL stays in repositories.' },
            {
              group: ['**/gateway-agent/**', '**/control-plane/**'],
              message: 'Apps never import each other.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.spec.ts', 'test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      // Tests index arrays they just asserted on; `!` documents that.
      '@typescript-eslint/no-unnecessary-type-assertion': 'off',
    },
  },
);
