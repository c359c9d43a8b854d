// SQLite in-process through better-sqlite3: one connection, WAL so readers never
// wait for the writer's fsync, and prepared statements kept per SQL text (kysely
// prepares on every query, and preparing costs more than a point read).
import { resolve } from 'node:path';
import Database from 'better-sqlite3';
import type { SqliteDatabase, SqliteStatement } from 'kysely';
import { Kysely, SqliteDialect, sql } from './kysely.js';
import type { SqliteOptions } from '../config.js';
import type { Engine } from './engine.js';
import type { IndexTables } from './tables.js';

const STATEMENT_CACHE = 512;
/**
 * SQLite's page cache, in KiB (a negative cache_size). better-sqlite3 builds SQLite
 * with 16 MB; the index only grows (audit records, pull times), so the cache filled
 * with its newest pages and the process's native heap grew with it for as long as
 * 16 MB lasted. 2 MB is SQLite's own default; pages beyond it are read again from
 * the kernel's page cache, which the process's resident memory does not count.
 */
const PAGE_CACHE_KIB = 2000;
/**
 * WAL frames between checkpoints. Every commit appends the pages it changed to the
 * WAL, and a checkpoint copies each page there back to the database once, however
 * often it was rewritten. A push rewrites the same few pages (the repository's row,
 * the journal, the newest leaves of each index) in every transaction, so at SQLite's
 * default of 1,000 frames checkpoints ran every ~40 pushes and made up a third of the
 * index's time per push; at 10,000 the WAL file grows to ~40 MB before it is reused.
 */
const WAL_CHECKPOINT_PAGES = 10_000;
/** How long a write waits for another process holding the database (a `scrub` run). */
const BUSY_TIMEOUT_MS = 5_000;

/**
 * Prepared statements by SQL text, least recently used evicted. Batches and `in`
 * lists come in a fixed set of lengths (statement-shapes.ts), so the texts are few.
 */
function withStatementCache(db: Database.Database): SqliteDatabase {
  const cache = new Map<string, SqliteStatement>();
  return {
    close: () => db.close(),
    prepare(sql: string): SqliteStatement {
      let stmt = cache.get(sql);
      if (stmt) {
        cache.delete(sql);
      } else {
        stmt = db.prepare(sql);
        if (cache.size >= STATEMENT_CACHE) cache.delete(cache.keys().next().value as string);
      }
      cache.set(sql, stmt);
      return stmt;
    },
  };
}

/** SQLite has no built-in REGEXP; repository patterns (reads/patterns.ts) need one. */
function registerRegexp(db: Database.Database): void {
  const compiled = new Map<string, RegExp>();
  db.function('regexp', { deterministic: true }, (pattern: unknown, value: unknown) => {
    if (typeof pattern !== 'string' || typeof value !== 'string') return 0;
    let re = compiled.get(pattern);
    if (!re) {
      re = new RegExp(pattern);
      if (compiled.size > 256) compiled.clear();
      compiled.set(pattern, re);
    }
    return re.test(value) ? 1 : 0;
  });
}

interface Shared {
  readonly engine: Engine;
  handles: number;
}

/**
 * One connection per database file per process. better-sqlite3 is synchronous: a
 * second connection waiting for the first one's write lock would block the event
 * loop that the first one needs to finish its transaction. Every open of the same
 * file shares one connection, whose queue serializes them instead.
 */
const shared = new Map<string, Shared>();

export function openSqlite(options: SqliteOptions): Engine {
  if (options.path === ':memory:') return connect(options.path);
  const key = resolve(options.path);
  let entry = shared.get(key);
  if (!entry) {
    entry = { engine: connect(key), handles: 0 };
    shared.set(key, entry);
  }
  entry.handles++;
  const { engine } = entry;
  let closed = false;
  return {
    ...engine,
    close: async () => {
      if (closed) return;
      closed = true;
      if (--entry.handles > 0) return;
      shared.delete(key);
      await engine.close();
    },
  };
}

function connect(path: string): Engine {
  const raw = new Database(path);
  raw.pragma('journal_mode = WAL');
  // The index can be rebuilt from storage (scrub), so a power cut may lose the
  // last commits but never corrupt the file: WAL + NORMAL guarantees that.
  raw.pragma('synchronous = NORMAL');
  raw.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  raw.pragma('foreign_keys = OFF');
  raw.pragma(`cache_size = -${PAGE_CACHE_KIB}`);
  raw.pragma(`wal_autocheckpoint = ${WAL_CHECKPOINT_PAGES}`);
  registerRegexp(raw);
  const db = new Kysely<IndexTables>({ dialect: new SqliteDialect({ database: withStatementCache(raw) }) });
  return {
    kind: 'sqlite',
    db,
    // BEGIN IMMEDIATE takes the write lock at once: a transaction that read first
    // could otherwise fail to upgrade when another process (scrub) wrote meanwhile.
    transact: (fn) => db.connection().execute(async (conn) => {
      await sql`begin immediate`.execute(conn);
      try {
        const result = await fn(conn);
        await sql`commit`.execute(conn);
        return result;
      } catch (err) {
        await sql`rollback`.execute(conn).catch(() => undefined);
        throw err;
      }
    }),
    reserved: (fn) => db.connection().execute(fn),
    close: () => db.destroy(),
  };
}
