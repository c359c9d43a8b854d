// Statements whose length depends on the data (multi-row inserts, `in (...)` lists)
// go out in a fixed set of sizes. SQLite keeps a prepared statement per SQL text
// (sqlite.ts), and a statement costs about 200 bytes of native memory per
// parameter. Slices cut at a fixed length left a tail of any length, so every
// length seen became a text of its own: under sustained load the cache kept filling
// with batch inserts of up to 1,600 parameters, and the process's native heap grew
// with it toward the cache's 512 statements. With sizes 1-16 and powers of two
// above, one statement has at most 16 + log2(max / 16) texts, whatever the batches.

const EXACT_UP_TO = 16;

/** The longest `in (...)` list: one parameter per value. */
export const IN_LIST = 512;

/** The largest size a slice may take that is at most `n`. */
function shapeAtMost(n: number): number {
  if (n <= EXACT_UP_TO) return n;
  return 2 ** Math.floor(Math.log2(n));
}

/**
 * `items` in order, cut into slices of at most `max` items whose lengths are all
 * shapes (1-16, or a power of two): the largest that fits first. Callers choose
 * `max` so that a slice binds at most ~512 parameters (rows × columns).
 */
export function chunks<T>(items: readonly T[], max: number): T[][] {
  const largest = shapeAtMost(Math.max(1, max));
  const out: T[][] = [];
  for (let i = 0; i < items.length;) {
    const size = shapeAtMost(Math.min(largest, items.length - i));
    out.push(items.slice(i, i + size));
    i += size;
  }
  return out;
}
