// What one write transaction carries: the transaction and the changes it makes,
// which become invalidations once it commits.
import type { Db, EngineKind } from '../engine/engine.js';
import type { Invalidation } from '../invalidations/channel.js';

export interface WriteScope {
  readonly trx: Db;
  readonly kind: EngineKind;
  changed(event: Invalidation): void;
}

/** Inserts in a fixed key order, so two transactions never wait on each other's rows crosswise. */
export function sortedBy<T>(items: readonly T[], key: (t: T) => string): T[] {
  return [...items].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

/** Multi-row statements in slices well below both engines' parameter limits. */
export function chunks<T>(items: readonly T[], size = 500): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
