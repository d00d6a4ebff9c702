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

/** Where test-only code lives: it may depend on the testing libs; shipped code may not. */
const testSideFiles = ['**/*.test.ts', '**/testing/**/*.ts', '**/*.fixture.ts', '**/bench/**/*.ts'];

/** Module boundaries; `testSide` adds type:testing to what every kind of project may import. */
function moduleBoundaries({ testSide }) {
  const withTesting = (tags) => (testSide ? [...tags, 'type:testing'] : tags);
  return [
    'error',
    {
      enforceBuildableLibDependency: false,
      allow: [],
      depConstraints: [
        // Apps are deployed on their own: shared code lives in libs, never in another app.
        { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
        ...['key-service', 'edge-auth', 'usage-ingestor', 'billing-service', 'admin-api'].map(
          (app) => ({
            sourceTag: `scope:${app}`,
            onlyDependOnLibsWithTags: [`scope:${app}`, 'scope:shared'],
          }),
        ),
        {
          sourceTag: 'type:app',
          onlyDependOnLibsWithTags: withTesting([
            'type:contracts',
            'type:domain',
            'type:adapters',
            'type:util',
          ]),
        },
        {
          // Adapters may compose adapters: the service base wires the Postgres and Kafka adapters.
          sourceTag: 'type:adapters',
          onlyDependOnLibsWithTags: withTesting([
            'type:contracts',
            'type:domain',
            'type:adapters',
            'type:util',
          ]),
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
        { sourceTag: 'type:util', onlyDependOnLibsWithTags: withTesting(['type:util']) },
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
  ];
}

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
      '@nx/enforce-module-boundaries': moduleBoundaries({ testSide: false }),
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@tollgate/*/testing'],
              message:
                'Test data and kits are for tests only (*.test.ts, testing/, fixtures, benches).',
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
    // Test-side code may use the test kits (libs tagged type:testing) and test data entry points.
    files: testSideFiles,
    rules: {
      '@nx/enforce-module-boundaries': moduleBoundaries({ testSide: true }),
      'no-restricted-imports': 'off',
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
