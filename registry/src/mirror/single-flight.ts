// Coalescing: concurrent callers asking for the same key share one call and its
// outcome, so fifty clients pulling one tag cost the upstream one request.

export class SingleFlight<T> {
  private readonly inflight = new Map<string, Promise<T>>();

  /** Runs `fn` unless a call for `key` is in flight, whose result is shared instead. */
  run(key: string, fn: () => Promise<T>): Promise<T> {
    let p = this.inflight.get(key);
    if (!p) {
      p = fn().finally(() => this.inflight.delete(key));
      this.inflight.set(key, p);
    }
    return p;
  }

  get size(): number {
    return this.inflight.size;
  }
}
