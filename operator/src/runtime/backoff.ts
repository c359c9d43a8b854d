// Per-key exponential backoff (client-go's ItemExponentialFailureRateLimiter):
// base * 2^failures, capped, reset by forget() after a success.

export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
}

export class ExponentialBackoff {
  private readonly failures = new Map<string, number>();

  constructor(private readonly opts: BackoffOptions = { baseMs: 5, maxMs: 300_000 }) {}

  /** Records one more failure for key and returns how long to wait before retrying it. */
  next(key: string): number {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    return Math.min(this.opts.baseMs * 2 ** n, this.opts.maxMs);
  }

  retries(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  forget(key: string): void {
    this.failures.delete(key);
  }
}
