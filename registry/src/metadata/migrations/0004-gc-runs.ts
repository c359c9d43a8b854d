// Announced garbage-collection runs: a row per real run, from before it marks until
// its sweep has ended. While none exists, a manifest write skips its GC markers
// (write/gc-protocol.ts); the run waits for such writes before it marks.
import { columnTypes, identity } from '../engine/dialect.js';
import type { Migration } from './migration.js';

export const gcRuns: Migration = {
  version: 4,
  name: 'gc-runs',
  async up(db, kind) {
    const t = columnTypes(kind);
    await db.schema.createTable('gc_runs')
      .addColumn('id', identity(kind))
      .addColumn('started_at', t.bigint, (c) => c.notNull())
      .addColumn('heartbeat_at', t.bigint, (c) => c.notNull())
      .execute();
  },
};
