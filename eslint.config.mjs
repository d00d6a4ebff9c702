import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

const infraPackages = [
  'kafkajs',
  '@mikro-orm/*',
  'ioredis',
  'stripe',
  'fastify',
  '@fastify/*',
  'pg',
];

export default tseslint.config(
  {
    ignores: ['**/node_modules/**', '**/dist/**', '**/.local/**', '**/.nx/**', '**/coverage/**'],
  },
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['vitest.config.ts', 'vitest.shared.ts'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/require-await': 'off',
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          depConstraints: [
            // Apps are deployed on their own: shared code lives in libs, never in another app.
            { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
            {
              sourceTag: 'scope:key-service',
              onlyDependOnLibsWithTags: ['scope:key-service', 'scope:shared'],
            },
            {
              sourceTag: 'scope:edge-auth',
              onlyDependOnLibsWithTags: ['scope:edge-auth', 'scope:shared'],
            },
            {
              sourceTag: 'scope:usage-ingestor',
              onlyDependOnLibsWithTags: ['scope:usage-ingestor', 'scope:shared'],
            },
            {
              sourceTag: 'scope:billing-service',
              onlyDependOnLibsWithTags: ['scope:billing-service', 'scope:shared'],
            },
            {
              sourceTag: 'scope:admin-api',
              onlyDependOnLibsWithTags: ['scope:admin-api', 'scope:shared'],
            },
            {
              sourceTag: 'type:app',
              onlyDependOnLibsWithTags: [
                'type:contracts',
                'type:domain',
                'type:adapters',
                'type:util',
                'type:testing',
              ],
            },
            {
              sourceTag: 'type:adapters',
              onlyDependOnLibsWithTags: [
                'type:contracts',
                'type:domain',
                'type:util',
                'type:testing',
              ],
            },
            // Domain code is pure: no I/O clients, so deciders stay deterministic and unit-testable.
            {
              sourceTag: 'type:domain',
              onlyDependOnLibsWithTags: ['type:domain', 'type:contracts', 'type:util'],
              bannedExternalImports: infraPackages,
            },
            {
              sourceTag: 'type:contracts',
              onlyDependOnLibsWithTags: ['type:contracts', 'type:util'],
            },
            { sourceTag: 'type:util', onlyDependOnLibsWithTags: ['type:util', 'type:testing'] },
            {
              sourceTag: 'type:testing',
              onlyDependOnLibsWithTags: [
                'type:contracts',
                'type:domain',
                'type:adapters',
                'type:util',
                'type:testing',
              ],
            },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.test.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-empty-function': 'off',
    },
  },
  {
    // Project test configs share one root helper by relative path; they are not shipped code.
    files: ['**/vitest.config.ts'],
    rules: { '@nx/enforce-module-boundaries': 'off' },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    extends: [tseslint.configs.disableTypeChecked],
  },
);
