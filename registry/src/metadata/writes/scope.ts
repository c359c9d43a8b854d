// What one write transaction carries: the transaction, the invalidations it will
// publish at commit, and the changes to repository rows it applies last.
import type { Db, EngineKind } from '../engine/engine.js';
import type { Invalidation } from '../invalidations/channel.js';
import type { RepositoryChanges } from './repository-row.js';

export interface WriteScope {
  readonly trx: Db;
  readonly kind: EngineKind;
  changed(event: Invalidation): void;
  /** Counter changes and push times, written to the repository rows at the end of the transaction. */
  readonly repositories: RepositoryChanges;
}

/** Inserts in a fixed key order, so two transactions never wait on each other's rows crosswise. */
export function sortedBy<T>(items: readonly T[], key: (t: T) => string): T[] {
  return [...items].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

/** `SELECT … FOR UPDATE` where the engine has it; SQLite's writers are serialized anyway. */
export function lockedRead<Q extends { forUpdate(): Q }>(kind: EngineKind, query: Q): Q {
  return kind === 'postgres' ? query.forUpdate() : query;
}
