// Schema migrations: from empty, again (nothing to do), two instances at once, and
// a refusal to run against a schema newer than the code.
import { sql } from 'kysely';
import { openEngine } from '../../../../registry/src/metadata/engine/engine.js';
import { MetadataIndex, MetadataSchemaError } from '../../../../registry/src/metadata/index.js';
import type { SuiteContext } from '../index-suite.js';

const TABLES = ['repositories', 'manifests', 'manifest_refs', 'blobs', 'layer_links', 'tags', 'tag_history', 'pulls',
  'scan_results', 'signature_verdicts', 'audit', 'write_intents', 'inventories', 'known_vulnerabilities', 'gc_runs'] as const;
const ALL_STEPS = ['1-initial', '2-write-intents', '3-supply-chain', '4-gc-runs', '5-gc-announcements'];

export function migrationTests(ctx: SuiteContext): void {
  test('an empty database is brought to the newest version, with every table', async () => {
    expect(ctx.index().migration).toEqual({ from: 0, to: 5, applied: ALL_STEPS });
    const engine = await openEngine(ctx.subject().options.engine);
    try {
      for (const table of TABLES) {
        await expect(engine.db.selectFrom(table).selectAll().limit(1).execute()).resolves.toEqual([]);
      }
      expect(await engine.db.selectFrom('gc_announcements').selectAll().execute()).toEqual([{ id: 1, announced: 0 }]);
      const versions = await engine.db.selectFrom('berth_schema_version').select(['version', 'name']).execute();
      expect(versions).toEqual([{ version: 1, name: 'initial' }, { version: 2, name: 'write-intents' }, { version: 3, name: 'supply-chain' }, { version: 4, name: 'gc-runs' },
        { version: 5, name: 'gc-announcements' }]);
    } finally {
      await engine.close();
    }
  });

  test('analyze refreshes statistics without changing answers', async () => {
    const index = ctx.index();
    await index.setTag('r', 'v1', 'sha256:' + 'b'.repeat(64));
    await index.analyze();
    expect(await index.resolveTag('r', 'v1')).toBe('sha256:' + 'b'.repeat(64));
  });

  test('opening a migrated database applies nothing', async () => {
    const again = await ctx.openAnother();
    expect(again.migration).toEqual({ from: 5, to: 5, applied: [] });
  });

  test('a schema newer than this code is refused', async () => {
    const engine = await openEngine(ctx.subject().options.engine);
    try {
      await engine.db.insertInto('berth_schema_version').values({ version: 999, name: 'future', applied_at: Date.now() }).execute();
    } finally {
      await engine.close();
    }
    await expect(MetadataIndex.open(ctx.subject().options)).rejects.toBeInstanceOf(MetadataSchemaError);
  });

  test('two instances starting together on an empty database apply each step once', async () => {
    // A second empty database (the test's own is already migrated).
    const engine = await openEngine(ctx.subject().options.engine);
    try {
      await engine.reserved(async (conn) => {
        for (const table of [...TABLES, 'gc_announcements', 'berth_schema_version']) await sql`drop table ${sql.table(table)}`.execute(conn);
      });
    } finally {
      await engine.close();
    }
    await ctx.index().close().catch(() => undefined);
    const [a, b] = await Promise.all([MetadataIndex.open(ctx.subject().options), MetadataIndex.open(ctx.subject().options)]);
    try {
      expect([a.migration.applied, b.migration.applied].sort()).toEqual([[], ALL_STEPS]);
      await a.setTag('r', 't', 'sha256:' + 'a'.repeat(64));
      expect(await b.resolveTag('r', 't')).toBe('sha256:' + 'a'.repeat(64));
    } finally {
      await a.close();
      await b.close();
    }
  });
}
