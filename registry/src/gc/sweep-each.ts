// The sweep's bounded concurrency (gc/collector.ts).

/**
 * Runs `fn` over `items`, at most `limit` at once. When a call fails, no more start
 * and the first error is thrown once those in flight have ended: no step of a run
 * may outlive it, since its announcement is withdrawn when it ends and writers then
 * stop touching.
 */
export async function sweepEach<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let failure: { err: unknown } | undefined;
  let next = 0;
  const lane = async () => {
    while (!failure && next < items.length) {
      const item = items[next++];
      try {
        await fn(item);
      } catch (err) {
        failure ??= { err };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(limit, 1), items.length) }, lane));
  if (failure) throw failure.err;
}
