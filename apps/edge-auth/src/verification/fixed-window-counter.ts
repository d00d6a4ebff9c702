export interface FixedWindowCounterOptions {
  windowMs: number;
  /** Ids tracked at once; beyond it, ids whose window has ended are dropped, then the oldest. */
  maxEntries: number;
  now?: () => number;
}

interface Slot {
  window: number;
  count: number;
}

/**
 * Per-id counts in fixed windows, in process memory and bounded: for protections that need no
 * cross-replica exactness (failed-auth attempts, key-service lookups per client).
 */
export class FixedWindowCounter {
  private readonly slots = new Map<string, Slot>();
  private readonly now: () => number;

  constructor(private readonly options: FixedWindowCounterOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Counts one event for `id`; returns the count in the current window and ms until it resets. */
  increment(id: string): { count: number; resetMs: number } {
    const now = this.now();
    const window = Math.floor(now / this.options.windowMs);
    let slot = this.slots.get(id);
    if (!slot || slot.window !== window) {
      if (!slot) this.makeRoom(window);
      slot = { window, count: 0 };
      this.slots.set(id, slot);
    }
    slot.count++;
    return { count: slot.count, resetMs: (window + 1) * this.options.windowMs - now };
  }

  /** The count for `id` in the current window, without counting. */
  peek(id: string): { count: number; resetMs: number } {
    const now = this.now();
    const window = Math.floor(now / this.options.windowMs);
    const slot = this.slots.get(id);
    return {
      count: slot && slot.window === window ? slot.count : 0,
      resetMs: (window + 1) * this.options.windowMs - now,
    };
  }

  get size(): number {
    return this.slots.size;
  }

  private makeRoom(window: number): void {
    if (this.slots.size < this.options.maxEntries) return;
    for (const [id, slot] of this.slots) if (slot.window !== window) this.slots.delete(id);
    if (this.slots.size < this.options.maxEntries) return;
    let drop = Math.ceil(this.options.maxEntries / 10);
    for (const id of this.slots.keys()) {
      this.slots.delete(id);
      if (--drop === 0) break;
    }
  }
}
