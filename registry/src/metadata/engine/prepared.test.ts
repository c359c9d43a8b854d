import Database from 'better-sqlite3';
import type { SqliteDatabase } from 'kysely';
import { Kysely, SqliteDialect } from './kysely.js';
import { prepare } from './prepared.js';
import type { IndexTables } from './tables.js';

function sqliteDb(): { db: Kysely<IndexTables>; texts: string[]; raw: Database.Database } {
  const raw = new Database(':memory:');
  raw.exec('create table tags (repo text not null, tag text not null, digest text not null, pushed_at integer not null, pushed_by text, primary key (repo, tag))');
  const texts: string[] = [];
  const recording: SqliteDatabase = { close: () => raw.close(), prepare: (text: string) => { texts.push(text); return raw.prepare(text); } };
  return { db: new Kysely<IndexTables>({ dialect: new SqliteDialect({ database: recording }) }), texts, raw };
}

describe('prepared statements', () => {
  test('built once; each call puts its values where the stand-ins were, constants stay, a name may repeat', async () => {
    const { db, texts, raw } = sqliteDb();
    let builds = 0;
    const insert = prepare<{ repo: string; tag: string; at: number }, { tag: string }>((d, p) => {
      builds++;
      return d.insertInto('tags').values({ repo: p.repo, tag: p.tag, digest: 'sha256:fixed', pushed_at: p.at, pushed_by: p.tag })
        .onConflict((oc) => oc.columns(['repo', 'tag']).doNothing()).returning('tag');
    });
    try {
      expect(await insert(db, 'sqlite', { repo: 'a', tag: 'v1', at: 1 })).toEqual([{ tag: 'v1' }]);
      expect(await insert(db, 'sqlite', { repo: 'a', tag: 'v2', at: 2 })).toEqual([{ tag: 'v2' }]);
      expect(await insert(db, 'sqlite', { repo: 'a', tag: 'v1', at: 3 })).toEqual([]); // the conflict: nothing inserted
      expect(builds).toBe(1);
      expect(new Set(texts).size).toBe(1);
      expect(raw.prepare('select * from tags order by tag').all()).toEqual([
        { repo: 'a', tag: 'v1', digest: 'sha256:fixed', pushed_at: 1, pushed_by: 'v1' },
        { repo: 'a', tag: 'v2', digest: 'sha256:fixed', pushed_at: 2, pushed_by: 'v2' },
      ]);
      // Each engine kind has its own compiled text (PostgreSQL numbers its parameters).
      await insert(db, 'postgres', { repo: 'b', tag: 'v1', at: 4 });
      expect(builds).toBe(2);
    } finally {
      await db.destroy();
    }
  });

  test('a missing value is refused before the statement runs, null is a value', async () => {
    const { db, raw } = sqliteDb();
    const insert = prepare<{ repo: string; by: string | null }, never>((d, p) =>
      d.insertInto('tags').values({ repo: p.repo, tag: 't', digest: 'd', pushed_at: 0, pushed_by: p.by }));
    try {
      await expect(insert(db, 'sqlite', { repo: 'a' } as never)).rejects.toThrow(/no value for by/);
      expect(raw.prepare('select count(*) as n from tags').get()).toEqual({ n: 0 });
      await insert(db, 'sqlite', { repo: 'a', by: null });
      expect(raw.prepare('select pushed_by from tags').get()).toEqual({ pushed_by: null });
    } finally {
      await db.destroy();
    }
  });

  test('a stand-in that did not become a parameter (kysely left it out or inlined it) is refused when compiled', async () => {
    const { db } = sqliteDb();
    const dropped = prepare<{ repo: string; n: number }, { tag: string }>((d, p) => {
      void p.n;
      return d.selectFrom('tags').select('tag').where('repo', '=', p.repo);
    });
    try {
      await expect(dropped(db, 'sqlite', { repo: 'a', n: 1 })).rejects.toThrow(/n did not become a parameter/);
    } finally {
      await db.destroy();
    }
  });
});
