// The write journal: a row per registry write between its storage commit and the
// index write that mirrors it. A row left behind (the process died in between, or
// the database failed the index write) names a repository whose index rows may
// lag storage; scrub verifies that repository and removes the row.
import { columnTypes, identity } from '../engine/dialect.js';
import type { Migration } from './migration.js';

export const writeIntents: Migration = {
  version: 2,
  name: 'write-intents',
  async up(db, kind) {
    const t = columnTypes(kind);
    await db.schema.createTable('write_intents')
      .addColumn('id', identity(kind))
      .addColumn('repo', t.key, (c) => c.notNull())
      .addColumn('operation', t.text, (c) => c.notNull())
      .addColumn('started_at', t.bigint, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('write_intents_by_start').on('write_intents').columns(['started_at']).execute();
  },
};
