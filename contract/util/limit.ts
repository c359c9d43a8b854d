// Bounded concurrency shared by the registry (storage round trips, the GC's sweep)
// and the operator (API calls): enough in flight to overlap latency, never a flood.

/**
 * Maps `fn` over `items` with at most `limit` calls in flight; results keep the
 * input order. When a call fails, no more start, and the first error is thrown only
 * once the calls in flight have ended: no call outlives this one (a GC run's sweep
 * must end before its announcement is withdrawn; a reconcile must not still be
 * writing when its retry starts).
 */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let failure: { err: unknown } | undefined;
  let next = 0;
  const lane = async () => {
    while (!failure && next < items.length) {
      const i = next++;
      try {
        results[i] = await fn(items[i]);
      } catch (err) {
        failure ??= { err };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(limit, 1), items.length) }, lane));
  if (failure) throw failure.err;
  return results;
}

/** Runs `fn` over `items` with at most `limit` calls in flight (failures as `mapLimit`). */
export async function forEachLimit<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  await mapLimit(items, limit, fn);
}
