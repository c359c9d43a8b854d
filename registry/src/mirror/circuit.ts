// A circuit per upstream: after a failure (no answer in time, 5xx, 429) the
// upstream is not asked again for a while, 30 s or what its Retry-After says, so
// a dead upstream costs one timeout per window instead of one per pull. When the
// window ends, one request probes it; the others keep being served from the cache
// until the probe succeeds.

export class Circuit {
  private openUntil = 0;
  private probing = false;
  /** The HTTP status of the failure that opened it (429 is told to clients as such), if any. */
  lastStatus: number | undefined;

  constructor(private readonly openSeconds: number, private readonly onChange: (open: boolean) => void = () => undefined) {}

  /** True when the caller may ask the upstream now; it must then report `succeeded` or `failed`. */
  tryAcquire(now = Date.now()): boolean {
    if (this.openUntil === 0) return true;
    if (now < this.openUntil || this.probing) return false;
    this.probing = true;
    return true;
  }

  /** Seconds until the upstream is asked again (at least 1). */
  retryAfterSeconds(now = Date.now()): number {
    return Math.max(1, Math.ceil((this.openUntil - now) / 1000));
  }

  get isOpen(): boolean {
    return this.openUntil !== 0;
  }

  succeeded(): void {
    this.probing = false;
    if (this.openUntil === 0) return;
    this.openUntil = 0;
    this.onChange(false);
  }

  /** Opens (or re-opens) the circuit for the configured window, or for `retryAfterSeconds` when the upstream said. */
  failed(retryAfterSeconds?: number, now = Date.now(), status?: number): void {
    this.probing = false;
    this.lastStatus = status;
    const wasOpen = this.openUntil !== 0;
    this.openUntil = now + (retryAfterSeconds ?? this.openSeconds) * 1000;
    if (!wasOpen) this.onChange(true);
  }
}
