import fc from 'fast-check';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { expect } from 'vitest';
import { ERROR_STATUS } from '@tollgate/service-runtime';

// What the HTTP fuzz tests of the apps throw at every JSON route (key-service, usage-ingestor):
// hostile text, numbers and JSON, percent-encoded path segments and queries, and the checks on answers.

/** Units that break naive code: NUL, lone surrogates, controls, bidi overrides, quotes, separators. */
const hostileUnit = fc.oneof(
  fc.constantFrom(
    '\u0000',
    '\ud800',
    '\udbff',
    '\udc00',
    '\udfff',
    '\u202e',
    '\ufeff',
    '\uffff',
    '\u0085',
    '\u2028',
    '\n',
    '\r',
    '\t',
    '"',
    '\\',
    '%',
    '/',
    '?',
    '#',
  ),
  fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)),
);

/** Text from anywhere in Unicode, with lone surrogates and NUL mixed in on purpose. */
export const hostileText: fc.Arbitrary<string> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.string({
      unit: fc.oneof(
        { weight: 2, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
        { weight: 1, arbitrary: hostileUnit },
      ),
      maxLength: 40,
    }),
  },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '',
      ' ',
      'x'.repeat(70_000),
      'x'.repeat(513),
      '0',
      '-1',
      'null',
      '__proto__',
      'constructor',
      '../../etc/passwd',
      "' or 1=1 --",
      '%00',
      '${jndi:ldap://x}',
    ),
  },
);

/** Numbers at the edges: int4 and safe-integer limits, huge, negative, fractional. */
export const hostileNumber: fc.Arbitrary<number> = fc.oneof(
  fc.integer(),
  fc.constantFrom(
    0,
    -1,
    1,
    2_147_483_647,
    2_147_483_648,
    -2_147_483_649,
    Number.MAX_SAFE_INTEGER,
    2 ** 53 + 2,
    1e21,
    1e308,
    -1e308,
    0.5,
    8_640_000_000_001,
  ),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);

const hostilePrimitive = fc.oneof(hostileText, hostileNumber, fc.boolean(), fc.constant(null));

/** Any JSON value, shallow and hostile: where a field wants one type, every other one. */
export const hostileJson: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: hostilePrimitive },
  { weight: 1, arbitrary: fc.array(hostilePrimitive, { maxLength: 5 }) },
  { weight: 1, arbitrary: fc.dictionary(hostileText, hostilePrimitive, { maxKeys: 5 }) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
);

/** A valid string with a hostile unit (NUL, a lone surrogate, …) slipped in somewhere. */
export const spiked = (valid: fc.Arbitrary<string>): fc.Arbitrary<string> =>
  fc.tuple(valid, hostileUnit, fc.nat()).map(([text, unit, at]) => {
    const i = at % (text.length + 1);
    return text.slice(0, i) + unit + text.slice(i);
  });

/** For free-text fields: valid, valid but spiked with a hostile unit, or anything at all. */
export const textField = (valid: fc.Arbitrary<string>): fc.Arbitrary<unknown> =>
  fc.oneof(
    { weight: 4, arbitrary: valid },
    { weight: 2, arbitrary: spiked(valid) },
    { weight: 1, arbitrary: hostileJson },
  );

/** The value one time in `every`, null otherwise (fc.option's `freq` is the other way round). */
export const sometimes = <T>(arbitrary: fc.Arbitrary<T>, every: number): fc.Arbitrary<T | null> =>
  fc.oneof({ weight: every - 1, arbitrary: fc.constant(null) }, { weight: 1, arbitrary });

/** Mostly a valid value (so requests get past validation into the handlers), sometimes anything. */
export const field = <T>(valid: fc.Arbitrary<T>): fc.Arbitrary<unknown> =>
  fc.oneof({ weight: 6, arbitrary: valid }, { weight: 1, arbitrary: hostileJson });

/**
 * An object of these fields: all present (each still hostile now and then, so many requests are
 * valid and reach the handlers), some missing plus a field nobody asked for, or not an object.
 */
export function fuzzObject(shape: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<unknown> {
  const partial = fc
    .tuple(fc.record(shape, { requiredKeys: [] }), sometimes(fc.tuple(hostileText, hostileJson), 3))
    .map(([record, extra]) => (extra ? { ...record, [extra[0]]: extra[1] } : record));
  return fc.oneof(
    { weight: 4, arbitrary: fc.record(shape) },
    { weight: 2, arbitrary: partial },
    { weight: 1, arbitrary: hostileJson },
  );
}

const UNRESERVED = /^[A-Za-z0-9\-._~]$/;

/** UTF-8 bytes of a code point; a lone surrogate gets the 3 bytes WTF-8 gives it (invalid UTF-8). */
function utf8(codePoint: number): number[] {
  if (codePoint < 0x80) return [codePoint];
  if (codePoint < 0x800) return [0xc0 | (codePoint >> 6), 0x80 | (codePoint & 0x3f)];
  if (codePoint < 0x10000)
    return [0xe0 | (codePoint >> 12), 0x80 | ((codePoint >> 6) & 0x3f), 0x80 | (codePoint & 0x3f)];
  return [
    0xf0 | (codePoint >> 18),
    0x80 | ((codePoint >> 12) & 0x3f),
    0x80 | ((codePoint >> 6) & 0x3f),
    0x80 | (codePoint & 0x3f),
  ];
}

/**
 * Percent-encodes any JS string for a URL, lone surrogates included (encodeURIComponent throws on
 * them): what a client sending raw, invalid UTF-8 bytes in a path or query puts on the wire.
 */
export function percentEncode(text: string): string {
  let out = '';
  for (const char of text) {
    if (UNRESERVED.test(char)) out += char;
    else
      for (const byte of utf8(char.codePointAt(0) ?? 0))
        out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** A path segment: mostly one of the given (valid or existing) ids, sometimes hostile text. */
export const segment = (valid: fc.Arbitrary<string>): fc.Arbitrary<string> =>
  fc
    .oneof({ weight: 4, arbitrary: valid }, { weight: 1, arbitrary: hostileText })
    .map(percentEncode);

/**
 * A query string: the required parameters always there, the optional ones now and then, each value
 * hostile now and then, and sometimes a parameter nobody asked for.
 */
export function query(
  required: Record<string, fc.Arbitrary<string>>,
  optional: Record<string, fc.Arbitrary<string>> = {},
): fc.Arbitrary<string> {
  const values = (params: Record<string, fc.Arbitrary<string>>) =>
    Object.fromEntries(
      Object.entries(params).map(([k, v]) => [
        k,
        fc.oneof({ weight: 6, arbitrary: v }, { weight: 1, arbitrary: hostileText }),
      ]),
    );
  return fc
    .tuple(
      fc.record(values(required)),
      fc.record(values(optional), { requiredKeys: [] }),
      sometimes(fc.tuple(hostileText, hostileText), 8),
    )
    .map(([present, maybe, extra]) => {
      const pairs: Array<[string, string]> = Object.entries({ ...present, ...maybe }).flatMap(
        ([k, v]) => (v === undefined ? [] : [[k, v] as [string, string]]),
      );
      if (extra) pairs.push(extra);
      const text = pairs.map(([k, v]) => `${percentEncode(k)}=${percentEncode(v)}`).join('&');
      return text ? `?${text}` : '';
    });
}

/** Header values an HTTP parser lets through: visible ASCII and spaces. */
export const headerText = fc.string({
  unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
  maxLength: 250,
});

/**
 * How a body goes on the wire: as JSON (lone surrogates become `\udXXX` escapes, which JSON.parse
 * turns back into lone surrogates), as broken JSON, or as another media type.
 */
export const encodedBody = (body: fc.Arbitrary<unknown>) =>
  fc.oneof(
    {
      weight: 8,
      arbitrary: body.map((b) => ({
        payload: JSON.stringify(b) ?? 'null',
        contentType: 'application/json',
      })),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(hostileText, fc.constantFrom('application/json', 'text/plain'))
        .map(([payload, contentType]) => ({ payload, contentType })),
    },
    { weight: 1, arbitrary: fc.constant({ payload: undefined, contentType: undefined }) },
  );

/**
 * The contract every answer keeps, whatever was sent: never a 5xx; an error is problem+json whose
 * `code` maps to exactly the status sent; no stack trace.
 */
export function expectWellFormedAnswer(
  res: { statusCode: number; headers: Record<string, unknown>; body: string },
  request: InjectOptions,
): void {
  const url = typeof request.url === 'string' ? request.url : JSON.stringify(request.url);
  const context = `${String(request.method)} ${url} → ${res.statusCode} ${res.body.slice(0, 300)}`;
  expect(res.statusCode, context).toBeLessThan(500);
  expect(res.body, context).not.toMatch(/\n\s+at\s+\S+\s+\(/);
  if (res.statusCode < 400) return;
  expect(String(res.headers['content-type']), context).toContain('application/problem+json');
  const problem = JSON.parse(res.body) as { code: keyof typeof ERROR_STATUS; status: number };
  expect(ERROR_STATUS[problem.code], context).toBe(res.statusCode);
  expect(problem.status, context).toBe(res.statusCode);
}

/** How many generated requests ran, and how many got each status (to see how deep they got). */
export interface FuzzTally {
  ran: number;
  byStatus: Map<number, number>;
}

export const newTally = (): FuzzTally => ({ ran: 0, byStatus: new Map() });

export const describeTally = ({ ran, byStatus }: FuzzTally): string =>
  `${ran} requests; ${[...byStatus.entries()]
    .sort(([a], [b]) => a - b)
    .map(([status, n]) => `${status}×${n}`)
    .join(' ')}`;

/** Runs `numRuns` generated requests against the app, counting them into `tally`. */
export async function fuzzRequests(
  app: FastifyInstance,
  requests: fc.Arbitrary<InjectOptions>,
  numRuns: number,
  tally: FuzzTally,
): Promise<void> {
  await fc.assert(
    fc.asyncProperty(requests, async (request) => {
      const res = await app.inject(request);
      tally.ran++;
      tally.byStatus.set(res.statusCode, (tally.byStatus.get(res.statusCode) ?? 0) + 1);
      expectWellFormedAnswer(res, request);
    }),
    { numRuns },
  );
}
