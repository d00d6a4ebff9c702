import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normaliseRequestTarget, removeDotSegments } from './request-target';

const HOST = 'api.example.com';
const normal = (raw: string, host: string | undefined) => {
  const target = normaliseRequestTarget(raw, host);
  return target.ok ? target.path + target.query : `refused: ${target.detail}`;
};

describe('normaliseRequestTarget', () => {
  it.each([
    ['/v1/orders/1', '/v1/orders/1'],
    ['/v1/orders/1?sort=asc&x=%2F', '/v1/orders/1?sort=asc&x=%2F'],
    ['/v1/./admin/1', '/v1/admin/1'],
    ['/v1/orders/../admin/1', '/v1/admin/1'],
    ['/v1/orders/x/../../admin/1', '/v1/admin/1'],
    ['/../../v1/admin', '/v1/admin'],
    ['/v1/admin/..', '/v1/'],
    ['/v1/admin/.', '/v1/admin/'],
    ['/v1//admin///1', '/v1/admin/1'],
    ['/v1/%61dmin/1', '/v1/admin/1'],
    ['/v1/caf%c3%a9', '/v1/caf%C3%A9'],
    ['/v1/a%20b', '/v1/a%20b'],
    ['/v1/a%7eb', '/v1/a~b'],
    ['/v1/admin;jsessionid=1/1', '/v1/admin;jsessionid=1/1'],
    ['http://api.example.com/v1/admin/1?x=1', '/v1/admin/1?x=1'],
    ['HTTP://API.EXAMPLE.COM', '/'],
    ['http://api.example.com?x=1', '/?x=1'],
  ])('%s → %s', (raw, expected) => {
    expect(normal(raw, HOST)).toBe(expected);
  });

  it.each([
    ['a backslash', '/v1/orders/x\\..\\..\\admin\\1'],
    ['an encoded dot', '/v1/%2e/admin/1'],
    ['an encoded dot-dot', '/v1/orders/%2e%2e/admin'],
    ['an encoded slash', '/v1/orders%2f..%2fadmin'],
    ['an encoded backslash', '/v1/orders%5c..%5cadmin'],
    ['a double-encoded dot', '/v1/%252e%252e/admin'],
    ['NUL', '/v1/admin\u0000/1'],
    ['an encoded NUL', '/v1/admin%00/1'],
    ['an encoded control character', '/v1/admin%0a'],
    ['a malformed escape', '/v1/admin%zz'],
    ['a truncated escape', '/v1/admin%2'],
    ['a fragment', '/v1/admin#x'],
    ['raw non-ASCII', '/v1/café'],
    ['another host in absolute form', 'http://evil.example/v1/admin/1'],
    ['another port in absolute form', 'http://api.example.com:8443/v1/admin'],
    ['userinfo in absolute form', 'http://user@api.example.com/v1/admin'],
    ['another scheme', 'ftp://api.example.com/v1/admin'],
    ['the asterisk form', '*'],
    ['the authority form', 'api.example.com:443'],
    ['an empty target', ''],
    ['a control character in the query', '/v1/admin?x=\u0001'],
  ])('refuses %s', (_name, raw) => {
    expect(normal(raw, HOST)).toMatch(/^refused/);
  });

  it('refuses absolute form when no Host header was sent', () => {
    expect(normal('http://api.example.com/v1/admin', undefined)).toMatch(/^refused/);
  });

  it('is idempotent, and its paths hold no dot segments, double slashes or backslashes', () => {
    const segment = fc.oneof(
      fc.constantFrom('.', '..', '', 'v1', 'admin', '%61', 'a;b', '%20', '~'),
      fc.stringMatching(/^[a-z0-9]{1,4}$/),
    );
    let normalised = 0;
    fc.assert(
      fc.property(fc.array(segment, { maxLength: 8 }), (segments) => {
        const once = normaliseRequestTarget(`/${segments.join('/')}`, HOST);
        fc.pre(once.ok);
        normalised++;
        const twice = normaliseRequestTarget(once.path, HOST);
        expect(twice).toEqual(once);
        expect(once.path).not.toMatch(/\/\.{1,2}(\/|$)|\/\/|\\/);
      }),
      { numRuns: 2_000 },
    );
    // Refused targets are skipped (fc.pre), not counted: the property held on 2 000 paths.
    expect(normalised).toBe(2_000);
  });
});

describe('removeDotSegments (RFC 3986 §5.2.4 examples)', () => {
  it.each([
    ['/a/b/c/./../../g', '/a/g'],
    ['/mid/content=5/../6', '/mid/6'],
    ['/a/b/c/..', '/a/b/'],
    ['/..', '/'],
    ['/', '/'],
  ])('%s → %s', (input, output) => {
    expect(removeDotSegments(input)).toBe(output);
  });
});
