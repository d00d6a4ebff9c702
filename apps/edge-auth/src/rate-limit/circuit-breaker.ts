export type BreakerState = 'closed' | 'open' | 'half-open';

export interface CircuitBreakerOptions {
  /** Consecutive failures that open the breaker. */
  failureThreshold: number;
  /** How long an open breaker skips the dependency before letting one probe through. */
  cooldownMs: number;
  clock?: () => number;
  onOpen?: () => void;
  onClose?: () => void;
}

/**
 * closed → (threshold consecutive failures) → open → (cooldown) → half-open: one probe goes through;
 * its success closes the breaker, its failure opens it for another cooldown.
 */
export class CircuitBreaker {
  private current: BreakerState = 'closed';
  private failures = 0;
  private openedAt = 0;
  private readonly clock: () => number;

  constructor(private readonly options: CircuitBreakerOptions) {
    if (!Number.isInteger(options.failureThreshold) || options.failureThreshold < 1) {
      throw new TypeError('breaker failureThreshold must be a positive integer');
    }
    if (!Number.isFinite(options.cooldownMs) || options.cooldownMs < 0) {
      throw new TypeError('breaker cooldownMs must be a non-negative number');
    }
    this.clock = options.clock ?? Date.now;
  }

  get state(): BreakerState {
    return this.current;
  }

  /** Whether this call may use the dependency; in half-open only the single probe may. */
  tryAcquire(): boolean {
    if (this.current === 'closed') return true;
    if (this.current === 'open' && this.clock() - this.openedAt >= this.options.cooldownMs) {
      this.current = 'half-open';
      return true;
    }
    return false;
  }

  onSuccess(): void {
    if (this.current === 'closed') {
      this.failures = 0;
    } else if (this.current === 'half-open') {
      // A late success from before the breaker opened proves little; only the probe closes it.
      this.current = 'closed';
      this.failures = 0;
      this.options.onClose?.();
    }
  }

  onFailure(): void {
    if (this.current === 'half-open') {
      this.current = 'open';
      this.openedAt = this.clock();
    } else if (this.current === 'closed' && ++this.failures >= this.options.failureThreshold) {
      this.current = 'open';
      this.openedAt = this.clock();
      this.options.onOpen?.();
    }
  }
}
