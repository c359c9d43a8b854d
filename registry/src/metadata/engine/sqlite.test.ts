import { sql } from './kysely.js';
import { openSqlite } from './sqlite.js';

describe('openSqlite', () => {
  test('bounds SQLite\'s page cache to 2 MB, not the 16 MB better-sqlite3 builds it with', async () => {
    const engine = openSqlite({ engine: 'sqlite', path: ':memory:' });
    try {
      const { rows } = await sql<{ cache_size: number }>`pragma cache_size`.execute(engine.db);
      expect(rows).toEqual([{ cache_size: -2000 }]);
    } finally {
      await engine.close();
    }
  });
});
