import { Writable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger';
import { maskKeyShapedValues, REDACTED } from './redaction';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { lines, destination };
}

// Built at run time so the tree never holds a key-shaped literal.
const fakeKey = ['tg', 'live', 'A1b2C3d4E5f6G7h8J9k0L1m2N3p4Q5r6'].join('_');

describe('logger redaction', () => {
  it('redacts credential headers by field', () => {
    const { lines, destination } = capture();
    const log = createLogger({ service: 't', level: 'info', destination });
    log.info({ req: { headers: { authorization: 'Bearer abc', 'x-api-key': 'xyz' } } }, 'request');
    expect(lines.join('')).not.toContain('Bearer abc');
    expect(lines.join('')).not.toContain('xyz');
    expect(lines.join('')).toContain('[redacted]');
  });

  it('masks key-shaped values anywhere in the line, including messages and URLs', () => {
    const { lines, destination } = capture();
    const log = createLogger({ service: 't', level: 'info', destination });
    log.info({ url: `/v1/things?api_key=${fakeKey}` }, `caller sent ${fakeKey}`);
    log.error(new Error(`lookup failed for ${fakeKey}`));
    const output = lines.join('');
    expect(output).not.toContain(fakeKey);
    expect(output).toContain('tg_live_[redacted]');
  });

  it.each([
    ['after a quote', (k: string) => `"${k}"`],
    ['after %20', (k: string) => `Bearer%20${k}`],
    ['after a letter', (k: string) => `X${k}`],
    ['after an underscore', (k: string) => `token_${k}`],
    ['in ?t=Bearer%20…', (k: string) => `/v1/x?t=Bearer%20${k}&y=1`],
    ['with %5F separators', (k: string) => k.replaceAll('_', '%5F')],
  ])('masks a key %s (issue 13)', (_where, place) => {
    const masked = maskKeyShapedValues(place(fakeKey));
    expect(masked).not.toContain('A1b2C3d4E5f6G7h8');
    expect(masked).toContain(REDACTED);
  });

  it('leaves ordinary identifiers alone', () => {
    expect(maskKeyShapedValues('key_01JD0000000000000000000000 acct_x')).toBe(
      'key_01JD0000000000000000000000 acct_x',
    );
  });
});

describe('maskKeyShapedValues (fast-check)', () => {
  const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
  const keyShaped = fc
    .tuple(
      fc.stringMatching(/^[a-z][a-z0-9]{0,15}$/),
      fc.constantFrom('live', 'test'),
      fc.string({ unit: fc.constantFrom(...BASE62), minLength: 33, maxLength: 33 }),
    )
    .map(([prefix, env, body]) => ({ key: `${prefix}_${env}_${body}`, body }));
  /** Whatever a log line might hold around a key: quotes, escapes, letters, digits, `_`, `%20`. */
  const context = fc.string({
    unit: fc.oneof(
      fc.constantFrom('"', '%20', '%22', '?', '&', '=', '_', 'X', ' ', '/', ':', 'Bearer '),
      fc.string({ unit: fc.constantFrom(...BASE62), maxLength: 3 }),
    ),
    maxLength: 8,
  });
  /** The ways a key reaches a log line: as is, in a query string, or encoded once or twice. */
  const encodings: Array<[string, (text: string) => string]> = [
    ['plain', (t) => t],
    ['JSON', (t) => JSON.stringify({ msg: t })],
    ['encodeURIComponent', (t) => encodeURIComponent(t)],
    ['encoded twice', (t) => encodeURIComponent(encodeURIComponent(t))],
    ['underscores as %5F', (t) => t.replaceAll('_', '%5F')],
    ['underscores as %5f, twice encoded', (t) => t.replaceAll('_', '%255f')],
    ['query ?t=Bearer%20…', (t) => `/v1/x?t=${encodeURIComponent(`Bearer ${t}`)}`],
  ];

  it('masks a key shape wherever it appears, URL-encoded or not', () => {
    fc.assert(
      fc.property(
        keyShaped,
        context,
        context,
        fc.constantFrom(...encodings),
        ({ key, body }, before, after, [, encode]) => {
          const masked = maskKeyShapedValues(encode(`${before}${key}${after}`));
          expect(masked).not.toContain(body.slice(0, 16));
          expect(masked).toContain(REDACTED);
        },
      ),
      { numRuns: 5_000 },
    );
  });

  it('masks what pino writes, in the message and in fields', () => {
    fc.assert(
      fc.property(keyShaped, context, ({ key, body }, around) => {
        const { lines, destination } = capture();
        const log = createLogger({ service: 't', level: 'info', destination });
        log.info({ url: `/v1/things?t=Bearer%20${key}${around}` }, `${around}${key}`);
        expect(lines.join('')).not.toContain(body.slice(0, 16));
      }),
      { numRuns: 300 },
    );
  });
});
