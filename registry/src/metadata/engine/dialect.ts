// The few SQL spellings the two engines do not share. Everything else is the
// common subset kysely emits for both.
import type { Expression, Nullable, RawBuilder, SelectQueryBuilder } from 'kysely';
import { sql } from './kysely.js';
import type { EngineKind } from './engine.js';
import type { IndexTables, ManifestsTable, TagsTable } from './tables.js';

export interface ColumnTypes {
  /** Names, tags and digests: compared byte by byte, as Distribution sorts them. */
  readonly key: Expression<unknown>;
  readonly text: Expression<unknown>;
  readonly int: Expression<unknown>;
  /** Sizes and epoch milliseconds. */
  readonly bigint: Expression<unknown>;
}

export function columnTypes(kind: EngineKind): ColumnTypes {
  if (kind === 'postgres') {
    // The database's own collation may be en_US.UTF-8 (CloudNativePG's default):
    // cursors, ranges and order must not depend on it.
    return { key: sql`text collate "C"`, text: sql`text`, int: sql`integer`, bigint: sql`bigint` };
  }
  // SQLite compares text with BINARY (memcmp) unless told otherwise.
  return { key: sql`text`, text: sql`text`, int: sql`integer`, bigint: sql`integer` };
}

/** An auto-assigned 64-bit primary key column type. */
export function identity(kind: EngineKind): Expression<unknown> {
  return kind === 'postgres' ? sql`bigint generated always as identity primary key` : sql`integer primary key autoincrement`;
}

/** `value` matches the regular expression `pattern` (the subset shared by JS and POSIX AREs). */
export function regexpMatch(kind: EngineKind, value: Expression<unknown>, pattern: string): RawBuilder<boolean> {
  return kind === 'postgres' ? sql<boolean>`${value} ~ ${pattern}` : sql<boolean>`${value} regexp ${pattern}`;
}

/**
 * Left-joins to each row of a tag page (`t`) its manifest (`m`), found by primary
 * key row by row on both engines, so the read is O(page) whatever the statistics
 * say. PostgreSQL gets a LATERAL subquery with LIMIT 1, which it can only run as a
 * nested loop: as a plain join, with fresh statistics, it hashes the whole
 * manifests table for a 100-tag page (EXPLAIN ANALYZE of 100 tags of 10,000:
 * 4.3 ms, against 0.7 ms). SQLite has no LATERAL and needs none: it joins by
 * nested loops with the left table outermost, one index probe per row.
 */
export function manifestOfEachRow<O>(kind: EngineKind, page: SelectQueryBuilder<IndexTables & { t: TagsTable }, 't', O>):
  SelectQueryBuilder<IndexTables & { t: TagsTable; m: Nullable<ManifestsTable> }, 't' | 'm', O> {
  if (kind === 'postgres') {
    return page.leftJoinLateral((eb) => eb.selectFrom('manifests').selectAll()
      .whereRef('manifests.repo', '=', 't.repo').whereRef('manifests.digest', '=', 't.digest').limit(1).as('m'), (join) => join.onTrue());
  }
  return page.leftJoin('manifests as m', (join) => join.onRef('m.repo', '=', 't.repo').onRef('m.digest', '=', 't.digest'));
}
