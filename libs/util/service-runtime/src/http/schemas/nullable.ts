import { Type, type Static, type TSchema, type TUnsafe } from 'typebox';

/**
 * `T | null` as `type: [T's type, 'null']`, with T's other keywords (minimum, properties, …) kept in
 * place. Unlike `anyOf: [T, { type: 'null' }]` this is one schema, so a wrong value gets one error
 * ("must be integer,null") rather than one per branch; OpenAPI 3.1 documents it as written.
 */
export function nullable<T extends TSchema & { type: string }>(
  schema: T,
): TUnsafe<Static<T> | null> {
  return Type.Unsafe<Static<T> | null>({ ...schema, type: [schema.type, 'null'] });
}
