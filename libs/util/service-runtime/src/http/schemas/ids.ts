import { Type, type TString } from 'typebox';

/**
 * One string schema per id kind (`acct_…`, `key_…`) from a map of kind → pattern. The map is passed
 * in rather than imported: it lives in the events contracts, which util libs may not depend on, and
 * copying it here would make a second source of truth.
 */
export function idSchemas<const Kind extends string>(
  patterns: Readonly<Record<Kind, string>>,
): Readonly<Record<Kind, TString>> {
  const schemas = {} as Record<Kind, TString>;
  for (const kind of Object.keys(patterns) as Kind[]) {
    schemas[kind] = Type.String({ pattern: patterns[kind] });
  }
  return schemas;
}
