import { Type } from 'typebox';
import { ID_PATTERNS } from '@tollgate/events';
import { idSchemas, nullable, pageQuery, safeText } from '@tollgate/service-runtime';
import { MAX_ACCOUNT_SEARCH_LENGTH, MAX_PAGE_SIZE } from '../application/key-service-queries';

/** TypeBox schemas shared by the routes: they validate input (400 naming the field), type the handlers and feed OpenAPI. */
export const { account: accountId, key: keyId, plan: planId } = idSchemas(ID_PATTERNS);

export const page = pageQuery({ max: MAX_PAGE_SIZE, default: 50 });

/** The accounts listing's query: a page, and optionally `q` (a name prefix or an account id). */
export const accountSearch = Type.Unsafe<{ limit: number; cursor?: string; q?: string }>(
  Type.Object(
    {
      limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PAGE_SIZE, default: 50 })),
      cursor: Type.Optional(safeText({ maxLength: 100 })),
      q: Type.Optional(safeText({ minLength: 1, maxLength: MAX_ACCOUNT_SEARCH_LENGTH })),
    },
    { additionalProperties: false },
  ),
);

export const scopes = Type.Array(safeText({ maxLength: 64 }), { maxItems: 50 });
// Any key, each value a short string. Not Type.Record: its `^.*$` key pattern skips keys with line breaks.
export const metadata = Type.Unsafe<Record<string, string>>({
  type: 'object',
  maxProperties: 20,
  additionalProperties: safeText({ maxLength: 512 }),
});

const rateLimitPolicy = Type.Object(
  {
    name: safeText({ maxLength: 32 }),
    limit: Type.Integer({ minimum: 1 }),
    windowMs: Type.Integer({ minimum: 1000 }),
  },
  { additionalProperties: false },
);

const overageTier = Type.Object(
  {
    upTo: nullable(Type.Integer({ minimum: 1 })),
    unitPriceMicros: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: false },
);

export const planDefinition = Type.Object(
  {
    name: safeText({ minLength: 1, maxLength: 100 }),
    rateLimits: Type.Array(rateLimitPolicy, { maxItems: 8 }),
    monthlyQuota: nullable(Type.Integer({ minimum: 1 })),
    limitScope: Type.Enum(['key', 'account'], { type: 'string' }),
    price: Type.Object(
      {
        currency: Type.String({ pattern: '^[A-Z]{3}$' }),
        baseFeeMinor: Type.Integer({ minimum: 0 }),
        includedUnits: Type.Integer({ minimum: 0 }),
        overageTiers: Type.Array(overageTier, { maxItems: 10 }),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

/** An account's display name. */
export const accountName = safeText({ minLength: 1, maxLength: 200 });

/** A key's human name; null removes it (the domain trims it and refuses control characters). */
export const keyName = nullable(safeText({ minLength: 1, maxLength: 100 }));

export const reasonBody = Type.Object(
  { reason: safeText({ minLength: 1, maxLength: 200 }) },
  { additionalProperties: false },
);
