import { describe, expect, it } from 'vitest';
import { isId, newId } from './ids';

describe('ids', () => {
  it('prefixes ULIDs by kind and recognises them', () => {
    const key = newId('key');
    expect(key).toMatch(/^key_[0-9A-Z]{26}$/);
    expect(isId('key', key)).toBe(true);
    expect(isId('account', key)).toBe(false);
    expect(isId('account', newId('account'))).toBe(true);
  });
  it('accepts plan slugs and rejects anything else', () => {
    expect(isId('plan', 'plan_pro')).toBe(true);
    expect(isId('plan', 'plan_Pro')).toBe(false);
    expect(isId('key', 'key_123')).toBe(false);
    expect(isId('key', 42)).toBe(false);
    expect(isId('key', `key_${'0'.repeat(26)}' or 1=1`)).toBe(false);
  });
  it('sorts by creation time', () => {
    const ids = Array.from({ length: 100 }, () => newId('account'));
    expect([...ids].sort()).toEqual(ids);
  });
});
