import { Type } from 'typebox';
import { ERROR_STATUS, type ErrorCode } from '../error-codes';

/**
 * The RFC 9457 problem details every error is sent as (built by `toProblem`), with Tollgate's stable
 * `code` and the request id. Extensions such as `reason`, `field` or `checks` may follow.
 */
export const problemSchema = Type.Object(
  {
    type: Type.String({ description: 'URI naming the problem type' }),
    title: Type.String(),
    status: Type.Integer({ minimum: 400, maximum: 599 }),
    code: Type.Enum(Object.keys(ERROR_STATUS) as ErrorCode[], {
      type: 'string',
      description: 'Stable machine-readable error code: branch on this, not on `title` or `detail`',
    }),
    detail: Type.String(),
    instance: Type.Optional(Type.String()),
    requestId: Type.String({ description: 'Also in the `x-request-id` response header' }),
  },
  { additionalProperties: true },
);
