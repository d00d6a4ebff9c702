import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger';
import { maskKeyShapedValues } from './redaction';

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

  it('leaves ordinary identifiers alone', () => {
    expect(maskKeyShapedValues('key_01JD0000000000000000000000 acct_x')).toBe(
      'key_01JD0000000000000000000000 acct_x',
    );
  });
});
