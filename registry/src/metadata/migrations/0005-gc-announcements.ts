// How many collection runs were ever announced: one row, counted up by a trigger on
// every insert into `gc_runs`, in the inserting transaction, whichever version of
// Berth inserts it. A writer that read the count and saw no run, then found
// content present, knows the content is still there as long as a later read shows
// the same count and no run (write/gc-protocol.ts).
import { sql } from '../engine/kysely.js';
import { columnTypes } from '../engine/dialect.js';
import type { Migration } from './migration.js';

export const gcAnnouncements: Migration = {
  version: 5,
  name: 'gc-announcements',
  async up(db, kind) {
    const t = columnTypes(kind);
    await db.schema.createTable('gc_announcements')
      .addColumn('id', t.int, (c) => c.primaryKey())
      .addColumn('announced', t.bigint, (c) => c.notNull())
      .execute();
    await db.insertInto('gc_announcements').values({ id: 1, announced: 0 }).execute();
    if (kind === 'postgres') {
      await sql`create or replace function berth_count_gc_announcement() returns trigger language plpgsql as $$
        begin update gc_announcements set announced = announced + 1 where id = 1; return new; end $$`.execute(db);
      await sql`create trigger gc_runs_counted after insert on gc_runs for each row execute function berth_count_gc_announcement()`.execute(db);
    } else {
      await sql`create trigger gc_runs_counted after insert on gc_runs for each row
        begin update gc_announcements set announced = announced + 1 where id = 1; end`.execute(db);
    }
  },
};
