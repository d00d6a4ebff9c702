import { Type } from 'typebox';

/** Milliseconds since the Unix epoch, up to the largest time a JavaScript Date can hold. */
export const epochMs = Type.Integer({ minimum: 0, maximum: 8_640_000_000_000 });

/** A UTC calendar month in ISO 8601 form, `YYYY-MM` (years 2000-2099), e.g. a billing period. */
export const isoMonth = Type.String({ pattern: '^20[0-9]{2}-(0[1-9]|1[0-2])$' });

/**
 * A UTC instant at minute precision in ISO 8601 form, `YYYY-MM-DDTHH:MMZ` (seconds, if written, are
 * `:00`, optionally `.000`), years 2000-2099: the precision usage aggregates are kept at.
 */
export const isoMinute = Type.String({
  pattern:
    '^20[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9](:00(\\.000)?)?Z$',
});
