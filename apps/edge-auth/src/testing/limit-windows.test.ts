import { describe, expect, it } from 'vitest';
import { aheadForRoom, monthWithRoom, windowWithRoom } from './limit-windows';

const HOUR = 3_600_000;

describe('windowWithRoom', () => {
  it.each([
    Date.UTC(2030, 0, 1, 0, 0, 0),
    Date.UTC(2030, 0, 1, 0, 59, 59, 999),
    Date.UTC(2031, 6, 15, 12, 41, 7, 3),
  ])('finds a window of at least an hour with 20 minutes left at %i', (now) => {
    const windowMs = windowWithRoom(HOUR, 20 * 60_000, now);
    expect(windowMs).toBeGreaterThanOrEqual(HOUR);
    expect(windowMs % 1_000).toBe(0);
    expect(windowMs - (now % windowMs)).toBeGreaterThanOrEqual(20 * 60_000);
  });
});

describe('monthWithRoom', () => {
  it('leaves the clock alone mid-month and moves it into the next month near the end', () => {
    expect(monthWithRoom(HOUR, Date.UTC(2030, 1, 27, 22, 0))).toBe(0);
    expect(monthWithRoom(HOUR, Date.UTC(2030, 1, 28, 23, 30))).toBe(30 * 60_000);
    expect(monthWithRoom(HOUR, Date.UTC(2030, 11, 31, 23, 59, 59, 999))).toBe(1);
  });
});

describe('aheadForRoom', () => {
  it('moves the clock into the next window only when the current one is ending', () => {
    expect(aheadForRoom(60_000, 50_000, Date.UTC(2030, 0, 1, 0, 0, 5))).toBe(0);
    expect(aheadForRoom(60_000, 50_000, Date.UTC(2030, 0, 1, 0, 0, 10, 1))).toBe(49_999);
  });
});
