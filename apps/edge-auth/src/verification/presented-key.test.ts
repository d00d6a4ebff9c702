import { describe, expect, it } from 'vitest';
import { presentedKey, queryCarriesKey } from './presented-key';

const both = ['authorization', 'x-api-key'] as const;

describe('presentedKey', () => {
  it('reads a Bearer token or X-API-Key, in the configured order', () => {
    expect(presentedKey({ authorization: 'Bearer tg_live_abc' }, both)).toEqual({
      kind: 'key',
      key: 'tg_live_abc',
    });
    expect(presentedKey({ authorization: 'bearer   tg_live_abc ' }, both)).toEqual({
      kind: 'key',
      key: 'tg_live_abc',
    });
    expect(presentedKey({ 'x-api-key': 'tg_live_abc' }, both)).toEqual({
      kind: 'key',
      key: 'tg_live_abc',
    });
    expect(presentedKey({ 'x-api-key': 'k' }, ['authorization'])).toEqual({ kind: 'missing' });
  });

  it('tells missing from unusable credentials', () => {
    expect(presentedKey({}, both)).toEqual({ kind: 'missing' });
    expect(presentedKey({ authorization: '' }, both)).toEqual({ kind: 'missing' });
    expect(presentedKey({ authorization: 'Basic dXNlcg==' }, both).kind).toBe('unusable');
    expect(presentedKey({ authorization: 'Bearer' }, both).kind).toBe('unusable');
    expect(presentedKey({ 'x-api-key': ['a', 'b'] }, both).kind).toBe('unusable');
    expect(presentedKey({ authorization: `Bearer ${'x'.repeat(10_000)}` }, both).kind).toBe(
      'unusable',
    );
  });
});

describe('queryCarriesKey', () => {
  it('spots keys in the query string by shape or parameter name', () => {
    expect(queryCarriesKey('/v1/x?key=tg_live_abc', 'tg')).toBe(true);
    expect(queryCarriesKey('/v1/x?a=1&API_KEY=zzz', 'tg')).toBe(true);
    expect(queryCarriesKey('/v1/x?access_token', 'tg')).toBe(true);
    expect(queryCarriesKey('/v1/x?sort=key&page=2', 'tg')).toBe(false);
    expect(queryCarriesKey('/v1/tg_live_in_path', 'tg')).toBe(false);
    expect(queryCarriesKey('/v1/x?q=acme_test_1', 'acme')).toBe(true);
  });

  it('sees through percent-encoded underscores', () => {
    expect(queryCarriesKey('/v1/x?t=Bearer%20tg%5Flive%5Fabc', 'tg')).toBe(true);
    expect(queryCarriesKey('/v1/x?t=tg%255ftest%255fabc', 'tg')).toBe(true);
    expect(queryCarriesKey('/v1/x?api%5Fkey=zzz', 'tg')).toBe(true);
  });
});
