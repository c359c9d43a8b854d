import Database from 'better-sqlite3';
import type { SqliteDatabase } from 'kysely';
import { Kysely, SqliteDialect } from '../engine/kysely.js';
import type { IndexTables } from '../engine/tables.js';
import { RepositoryChanges } from './repository-row.js';

describe('RepositoryChanges', () => {
  test('the counter UPDATE has one SQL text whatever the push time, which moves forward only', async () => {
    const raw = new Database(':memory:');
    raw.exec(`create table repositories (name text primary key, created_at integer not null, last_push_at integer not null,
      origin text not null, tag_count integer not null, manifest_count integer not null, size_bytes integer not null)`);
    raw.exec(`insert into repositories values ('r', 0, 0, 'local', 0, 0, 0)`);
    const prepared = new Set<string>();
    const recording: SqliteDatabase = { close: () => raw.close(), prepare: (text: string) => { prepared.add(text); return raw.prepare(text); } };
    const db = new Kysely<IndexTables>({ dialect: new SqliteDialect({ database: recording }) });
    const push = async (at: number, bytes: number) => {
      const changes = new RepositoryChanges();
      changes.adjust('r', { manifests: 1, bytes });
      changes.pushed('r', at);
      await changes.apply(db, 'sqlite');
    };
    try {
      await push(1_796_000_000_001, 10);
      await push(1_796_000_000_002, 20);
      await push(1_796_000_000_000, 30); // an older time never moves it back
      const updates = [...prepared].filter((text) => text.startsWith('update "repositories"'));
      expect(updates).toHaveLength(1);
      expect(updates[0]).not.toMatch(/\d{4}/); // the times went in as parameters
      expect(raw.prepare('select last_push_at, manifest_count, size_bytes from repositories').get())
        .toEqual({ last_push_at: 1_796_000_000_002, manifest_count: 3, size_bytes: 60 });
    } finally {
      await db.destroy();
    }
  });
});
