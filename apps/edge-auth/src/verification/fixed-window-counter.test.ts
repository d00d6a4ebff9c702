import { describe, expect, it } from 'vitest';
import { FixedWindowCounter } from './fixed-window-counter';

describe('FixedWindowCounter', () => {
  it('counts per id within a window and resets at the next one', () => {
    let now = 10_000;
    const counter = new FixedWindowCounter({ windowMs: 1_000, maxEntries: 10, now: () => now });
    expect(counter.increment('a')).toEqual({ count: 1, resetMs: 1_000 });
    now += 400;
    expect(counter.increment('a')).toEqual({ count: 2, resetMs: 600 });
    expect(counter.peek('b').count).toBe(0);
    now += 600;
    expect(counter.peek('a').count).toBe(0);
    expect(counter.increment('a').count).toBe(1);
  });

  it('stays within its bound, dropping ended windows first', () => {
    let now = 0;
    const counter = new FixedWindowCounter({ windowMs: 1_000, maxEntries: 100, now: () => now });
    for (let i = 0; i < 100; i++) counter.increment(`old-${i}`);
    now = 5_000;
    for (let i = 0; i < 1_000; i++) counter.increment(`new-${i}`);
    expect(counter.size).toBeLessThanOrEqual(100);
    expect(counter.peek('new-999').count).toBe(1);
  });
});
