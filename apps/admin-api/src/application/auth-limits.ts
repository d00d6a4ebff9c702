import type { RedisConnection } from '@tollgate/redis';

export interface AuthLimitsOptions {
  redis: RedisConnection;
  keyPrefix: string;
  failuresPerMinute: number;
  requestsPerMinutePerToken: number;
  now: () => number;
  /** Redis failed: the limits fail open (admin traffic keeps working) and say so. */
  onRedisError: (err: unknown) => void;
}

const MINUTE_MS = 60_000;

/**
 * Fixed one-minute windows in Redis, so every admin-api replica shares them: failed
 * authentications per client IP, and requests per admin token.
 */
export class AuthLimits {
  constructor(private readonly options: AuthLimitsOptions) {}

  private window(): { index: number; retryAfterS: number } {
    const now = this.options.now();
    return {
      index: Math.floor(now / MINUTE_MS),
      retryAfterS: Math.max(1, Math.ceil((MINUTE_MS - (now % MINUTE_MS)) / 1000)),
    };
  }

  private async count(key: string, increment: boolean): Promise<number> {
    const { redis } = this.options;
    try {
      if (!increment) return Number((await redis.get(key)) ?? 0);
      const [[, value] = []] =
        (await redis
          .multi()
          .incr(key)
          .pexpire(key, 2 * MINUTE_MS)
          .exec()) ?? [];
      return Number(value ?? 0);
    } catch (err) {
      this.options.onRedisError(err);
      return 0;
    }
  }

  /** Whether this client already failed too often this minute (checked only for invalid tokens). */
  async failuresExceeded(clientIp: string): Promise<{ exceeded: boolean; retryAfterS: number }> {
    const { index, retryAfterS } = this.window();
    const failures = await this.count(
      `${this.options.keyPrefix}admin:auth-failures:{${clientIp}}:${index}`,
      false,
    );
    return { exceeded: failures >= this.options.failuresPerMinute, retryAfterS };
  }

  async recordFailure(clientIp: string): Promise<void> {
    const { index } = this.window();
    await this.count(`${this.options.keyPrefix}admin:auth-failures:{${clientIp}}:${index}`, true);
  }

  /** Counts one request of this token; false when it is over its per-minute budget. */
  async consumeRequest(tokenId: string): Promise<{ allowed: boolean; retryAfterS: number }> {
    const { index, retryAfterS } = this.window();
    const used = await this.count(
      `${this.options.keyPrefix}admin:requests:{${tokenId}}:${index}`,
      true,
    );
    return { allowed: used <= this.options.requestsPerMinutePerToken, retryAfterS };
  }
}
