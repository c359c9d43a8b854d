// The few SQL spellings the two engines do not share. Everything else is the
// common subset kysely emits for both.
import type { Expression, RawBuilder } from 'kysely';
import { sql } from './kysely.js';
import type { EngineKind } from './engine.js';

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
