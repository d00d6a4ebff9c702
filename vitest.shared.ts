import { defineProject } from 'vitest/config';

/**
 * One test configuration for every project, so `vitest run` at the root and
 * `nx test <project>` behave the same. Slower tiers are picked by file name:
 * `*.int.test.ts` needs real services, `*.e2e.test.ts` runs several apps together.
 */
export function defineProjectConfig(name: string, extra: { globalSetup?: string[] } = {}) {
  return defineProject({
    test: {
      name,
      include: ['src/**/*.test.ts'],
      environment: 'node',
      testTimeout: 30_000,
      hookTimeout: 90_000,
      pool: 'forks',
      ...extra,
    },
  });
}
