import { Type } from 'typebox';
import { ID_PATTERNS } from '@tollgate/events';
import { idSchemas, pageQuery, safeText } from '@tollgate/service-runtime';
import { ROLES } from '../../application/permissions';

export const {
  account: accountId,
  key: keyId,
  plan: planId,
  adminToken: tokenId,
} = idSchemas(ID_PATTERNS);

export const page = pageQuery({ max: 100, default: 50 });

/** The accounts listing's query: a page and optionally `q`, which key-service matches. */
export const accountSearch = Type.Unsafe<{ limit: number; cursor?: string; q?: string }>(
  Type.Object(
    {
      limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 50 })),
      cursor: Type.Optional(safeText({ maxLength: 100 })),
      q: Type.Optional(safeText({ minLength: 1, maxLength: 100 })),
    },
    { additionalProperties: false },
  ),
);

/** Bodies the internal app validates in full (its 400 answers pass through); here only bounded. */
export const forwardedBody = Type.Object({}, { additionalProperties: true, maxProperties: 20 });

export const role = Type.Enum([...ROLES], { type: 'string' });

export const reasonBody = Type.Object(
  { reason: safeText({ minLength: 1, maxLength: 200 }) },
  { additionalProperties: false },
);
