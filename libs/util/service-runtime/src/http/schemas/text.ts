import { Type, type TString, type TStringOptions } from 'typebox';

/**
 * Matches text without NUL and without lone UTF-16 surrogates. Ajv compiles patterns with the `u`
 * flag, so `\uD800-\uDFFF` matches only unpaired surrogates; a well-formed pair (an emoji) is one
 * code point and passes.
 */
export const SAFE_TEXT_PATTERN = '^[^\\u0000\\uD800-\\uDFFF]*$';

/**
 * A string that Postgres (`text`, `jsonb`) and UTF-8 encoders (Avro events, logs) can hold as
 * sent: JSON allows `\u0000` and lone surrogates such as `\ud800`, which Postgres refuses and
 * UTF-8 cannot represent. Use it for every free-text field that is stored or published, so such
 * input is a 400 at the schema instead of a 500 at the database.
 */
export function safeText(options: Omit<TStringOptions, 'pattern'> = {}): TString {
  return Type.String({ ...options, pattern: SAFE_TEXT_PATTERN });
}

/** The largest value a Postgres `int` (int4) column holds. */
export const INT32_MAX = 2_147_483_647;

/** A positive integer that fits a Postgres `int` column (versions, counters used in lookups). */
export const positiveInt32 = Type.Integer({ minimum: 1, maximum: INT32_MAX });
