// One kysely instance over either engine, plus what differs between them: how a
// write transaction starts, and the few SQL spellings the two do not share.
import type { Kysely } from 'kysely';
import type { EngineOptions } from '../config.js';
import type { IndexTables } from './tables.js';

export type EngineKind = 'sqlite' | 'postgres';
export type Db = Kysely<IndexTables>;

export interface Engine {
  readonly kind: EngineKind;
  readonly db: Db;
  /**
   * Runs `fn` in one transaction. On PostgreSQL `onCommit`-style notifications
   * issued inside it (pg_notify) are delivered only if it commits.
   */
  transact<T>(fn: (trx: Db) => Promise<T>): Promise<T>;
  /** Runs `fn` on one reserved connection (session-scoped locks, migrations). */
  reserved<T>(fn: (conn: Db) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export async function openEngine(options: EngineOptions): Promise<Engine> {
  if (options.engine === 'sqlite') return (await import('./sqlite.js')).openSqlite(options);
  return (await import('./postgres.js')).openPostgres(options);
}
