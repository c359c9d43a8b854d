// Brute-force resistance: failed logins are counted per identity and per client
// address over a sliding window. Each failure beyond the first few is answered a
// little later (bounded), and past `maxFailures` the key is locked out for a
// bounded, doubling period during which every login attempt, even a correct
// one, gets 429 TOOMANYREQUESTS with Retry-After.
export interface LoginLimits {
  /** Failures within the window that trigger a lockout. */
  readonly maxFailures: number;
  readonly windowSeconds: number;
  /** First lockout; each further lockout in a row doubles it, up to maxLockoutSeconds. */
  readonly lockoutSeconds: number;
  readonly maxLockoutSeconds: number;
  /** Extra delay per failure past the second, ms; capped at maxDelayMs. */
  readonly failureDelayMs: number;
  readonly maxDelayMs: number;
}

interface Entry {
  failures: number[];
  lockedUntil: number;
  lockouts: number;
}

/** Bounds memory: at most this many tracked keys (oldest dropped first). */
const MAX_KEYS = 10_000;

export class LoginLimiter {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly limits: LoginLimits, private readonly now: () => number = Date.now) {}

  /** Seconds until every key may try again, or 0 when none is locked. */
  retryAfter(keys: readonly string[]): number {
    const t = this.now();
    let until = 0;
    for (const k of keys) until = Math.max(until, this.entries.get(k)?.lockedUntil ?? 0);
    return until > t ? Math.ceil((until - t) / 1000) : 0;
  }

  /** Records a failure against every key; returns how long to hold the failing answer, ms. */
  fail(keys: readonly string[]): number {
    const t = this.now();
    const windowStart = t - this.limits.windowSeconds * 1000;
    let worst = 0;
    for (const k of keys) {
      const entry = this.entries.get(k) ?? { failures: [], lockedUntil: 0, lockouts: 0 };
      this.entries.delete(k); // re-insert: Map order doubles as recency for eviction
      entry.failures = entry.failures.filter((f) => f > windowStart);
      entry.failures.push(t);
      if (entry.failures.length >= this.limits.maxFailures) {
        const seconds = Math.min(this.limits.lockoutSeconds * 2 ** entry.lockouts, this.limits.maxLockoutSeconds);
        entry.lockedUntil = t + seconds * 1000;
        entry.lockouts++;
        entry.failures = [];
      }
      worst = Math.max(worst, entry.failures.length);
      this.entries.set(k, entry);
    }
    while (this.entries.size > MAX_KEYS) this.entries.delete(this.entries.keys().next().value!);
    return worst > 2 ? Math.min((worst - 2) * this.limits.failureDelayMs, this.limits.maxDelayMs) : 0;
  }

  /** A successful login clears the identity's record (never the address's). */
  succeed(identityKey: string): void {
    const entry = this.entries.get(identityKey);
    if (entry && entry.lockedUntil <= this.now()) this.entries.delete(identityKey);
  }
}
