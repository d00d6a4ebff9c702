import { Type } from 'typebox';
import { safeText } from './text';

/** Where a keyset-paginated list continues: the previous page's `nextCursor`, opaque to clients. */
export const cursor = safeText({ maxLength: 100 });

/**
 * `?limit=&cursor=` of a keyset-paginated list; nothing else is accepted in the query string. A
 * missing `limit` is filled in with the default by validation, so handlers always see a number.
 */
export function pageQuery(limits: { max: number; default: number }) {
  return Type.Unsafe<{ limit: number; cursor?: string }>(
    Type.Object(
      {
        limit: Type.Optional(
          Type.Integer({ minimum: 1, maximum: limits.max, default: limits.default }),
        ),
        cursor: Type.Optional(cursor),
      },
      { additionalProperties: false },
    ),
  );
}
