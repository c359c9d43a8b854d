// Brings the schema to the newest version at start. On PostgreSQL the whole run
// holds a session advisory lock, so replicas starting together apply each step
// once: the others wait, then find nothing left to do. On SQLite `BEGIN IMMEDIATE`
// takes the database's write lock for the same effect across processes.
import { sql } from '../engine/kysely.js';
import type { Db, Engine } from '../engine/engine.js';
import { columnTypes } from '../engine/dialect.js';
import { MetadataSchemaError } from '../errors.js';
import { MIGRATIONS } from './index.js';
import type { Migration } from './migration.js';

/** pg_advisory_lock key: "berth-mi" as a 64-bit integer, unlikely to collide with another application's. */
const LOCK_KEY = '7089063209211537769';
/** A replica waits this long for another one's migration before giving up. */
const LOCK_WAIT = '10min';

export interface MigrationReport {
  readonly from: number;
  readonly to: number;
  readonly applied: string[];
}

async function ensureVersionTable(conn: Db, engine: Engine): Promise<void> {
  const t = columnTypes(engine.kind);
  await conn.schema.createTable('berth_schema_version').ifNotExists()
    .addColumn('version', t.int, (c) => c.primaryKey())
    .addColumn('name', t.text, (c) => c.notNull())
    .addColumn('applied_at', t.bigint, (c) => c.notNull())
    .execute();
}

async function currentVersion(conn: Db): Promise<number> {
  const row = await conn.selectFrom('berth_schema_version').select((eb) => eb.fn.max('version').as('v')).executeTakeFirst();
  return Number(row?.v ?? 0);
}

async function apply(conn: Db, engine: Engine, m: Migration): Promise<void> {
  await m.up(conn, engine.kind);
  await conn.insertInto('berth_schema_version').values({ version: m.version, name: m.name, applied_at: Date.now() }).execute();
}

function pending(from: number, migrations: readonly Migration[]): Migration[] {
  const newest = migrations.at(-1)?.version ?? 0;
  if (from > newest) {
    throw new MetadataSchemaError(`the metadata schema is at version ${from}, newer than this registry knows (${newest}): run a newer registry`);
  }
  return migrations.filter((m) => m.version > from);
}

async function migratePostgres(engine: Engine, migrations: readonly Migration[]): Promise<MigrationReport> {
  return engine.reserved(async (conn) => {
    await sql`set statement_timeout = 0`.execute(conn);
    await sql`set lock_timeout = ${sql.lit(LOCK_WAIT)}`.execute(conn);
    await sql`select pg_advisory_lock(${sql.lit(LOCK_KEY)})`.execute(conn);
    try {
      await ensureVersionTable(conn, engine);
      const from = await currentVersion(conn);
      const applied: string[] = [];
      for (const m of pending(from, migrations)) {
        await sql`begin`.execute(conn);
        try {
          await apply(conn, engine, m);
          await sql`commit`.execute(conn);
        } catch (err) {
          await sql`rollback`.execute(conn).catch(() => undefined);
          throw err;
        }
        applied.push(`${m.version}-${m.name}`);
      }
      return { from, to: migrations.at(-1)?.version ?? from, applied };
    } finally {
      await sql`select pg_advisory_unlock(${sql.lit(LOCK_KEY)})`.execute(conn).catch(() => undefined);
      await sql`reset statement_timeout`.execute(conn).catch(() => undefined);
      await sql`reset lock_timeout`.execute(conn).catch(() => undefined);
    }
  });
}

async function migrateSqlite(engine: Engine, migrations: readonly Migration[]): Promise<MigrationReport> {
  return engine.reserved(async (conn) => {
    await sql`begin immediate`.execute(conn);
    try {
      await ensureVersionTable(conn, engine);
      const from = await currentVersion(conn);
      const todo = pending(from, migrations);
      for (const m of todo) await apply(conn, engine, m);
      await sql`commit`.execute(conn);
      return { from, to: migrations.at(-1)?.version ?? from, applied: todo.map((m) => `${m.version}-${m.name}`) };
    } catch (err) {
      await sql`rollback`.execute(conn).catch(() => undefined);
      throw err;
    }
  });
}

export async function migrate(engine: Engine, migrations: readonly Migration[] = MIGRATIONS): Promise<MigrationReport> {
  return engine.kind === 'postgres' ? migratePostgres(engine, migrations) : migrateSqlite(engine, migrations);
}

const TABLES = ['repositories', 'manifests', 'manifest_refs', 'blobs', 'layer_links', 'tags', 'tag_history', 'pulls',
  'scan_results', 'signature_verdicts', 'audit'];

/** Fresh planner statistics for every table of the index. */
export async function analyze(engine: Engine): Promise<void> {
  if (engine.kind === 'postgres') {
    await sql`analyze ${sql.join(TABLES.map((t) => sql.table(t)))}`.execute(engine.db);
  } else {
    await sql`pragma optimize = 0x10002`.execute(engine.db);
  }
}
