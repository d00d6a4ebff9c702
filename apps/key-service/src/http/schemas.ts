import { ID_PATTERNS } from '@tollgate/events';
import { MAX_PAGE_SIZE } from '../application/key-service-queries';

/** JSON schemas shared by the routes: they validate input (400 naming the field) and feed OpenAPI. */
export const accountId = { type: 'string', pattern: ID_PATTERNS.account } as const;
export const keyId = { type: 'string', pattern: ID_PATTERNS.key } as const;
export const planId = { type: 'string', pattern: ID_PATTERNS.plan } as const;
export const epochMs = { type: 'integer', minimum: 0, maximum: 8_640_000_000_000 } as const;

export const pageQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    limit: { type: 'integer', minimum: 1, maximum: MAX_PAGE_SIZE, default: 50 },
    cursor: { type: 'string', maxLength: 100 },
  },
} as const;

export const scopes = {
  type: 'array',
  maxItems: 50,
  items: { type: 'string', maxLength: 64 },
} as const;
export const metadata = {
  type: 'object',
  maxProperties: 20,
  additionalProperties: { type: 'string', maxLength: 512 },
} as const;

const rateLimitPolicy = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'limit', 'windowMs'],
  properties: {
    name: { type: 'string', maxLength: 32 },
    limit: { type: 'integer', minimum: 1 },
    windowMs: { type: 'integer', minimum: 1000 },
  },
} as const;

export const planDefinition = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'rateLimits', 'monthlyQuota', 'limitScope', 'price'],
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 100 },
    rateLimits: { type: 'array', maxItems: 8, items: rateLimitPolicy },
    monthlyQuota: { type: ['integer', 'null'], minimum: 1 },
    limitScope: { type: 'string', enum: ['key', 'account'] },
    price: {
      type: 'object',
      additionalProperties: false,
      required: ['currency', 'baseFeeMinor', 'includedUnits', 'overageTiers'],
      properties: {
        currency: { type: 'string', pattern: '^[A-Z]{3}$' },
        baseFeeMinor: { type: 'integer', minimum: 0 },
        includedUnits: { type: 'integer', minimum: 0 },
        overageTiers: {
          type: 'array',
          maxItems: 10,
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['upTo', 'unitPriceMicros'],
            properties: {
              upTo: { type: ['integer', 'null'], minimum: 1 },
              unitPriceMicros: { type: 'integer', minimum: 0 },
            },
          },
        },
      },
    },
  },
} as const;

export const reasonBody = {
  type: 'object',
  additionalProperties: false,
  required: ['reason'],
  properties: { reason: { type: 'string', minLength: 1, maxLength: 200 } },
} as const;
