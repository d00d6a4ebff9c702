import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateSchemasModule, generateTypesModule, readSchemaSources } from './generate';
import { contractsPaths } from './paths';

describe('generated contract code', () => {
  const paths = contractsPaths(import.meta.dirname);
  const sources = readSchemaSources(paths.schemas);

  it.each([
    ['event-types.ts', generateTypesModule],
    ['event-schemas.ts', generateSchemasModule],
  ] as const)(
    '%s matches the .avsc files (run `npm run contracts:generate` after a schema change)',
    (file, generate) => {
      expect(readFileSync(join(paths.generated, file), 'utf8')).toBe(generate(sources));
    },
  );

  it('maps Avro types to TypeScript', () => {
    const types = generateTypesModule(sources);
    expect(types).toContain('expiresAt: null | number;');
    expect(types).toContain('scopes: string[];');
    expect(types).toContain('metadata: Record<string, string>;');
    expect(types).toContain(
      "export const Outcome = ['allowed', 'rate_limited', 'quota_exceeded', 'invalid', 'revoked', 'expired', 'forbidden'] as const;",
    );
    expect(types).toContain('rateLimits: RateLimitPolicy[];');
  });
});
