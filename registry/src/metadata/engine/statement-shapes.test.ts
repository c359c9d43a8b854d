import { jest } from '@jest/globals';
import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';
import { MetadataIndex } from '../index.js';
import { chunks } from './statement-shapes.js';

describe('chunks', () => {
  test('keeps every item in order, in slices of 1-16 or a power of two, never over max', () => {
    for (const max of [64, 128, 200, 256, 512]) {
      const lengths = new Set<number>();
      const wrong: string[] = [];
      for (let n = 0; n <= 1_100; n++) {
        const items = Array.from({ length: n }, (_, i) => i);
        const flat = chunks(items, max).flatMap((s) => {
          if (!s.length || s.length > max || (s.length > 16 && !Number.isInteger(Math.log2(s.length)))) wrong.push(`${n}: ${s.length}`);
          lengths.add(s.length);
          return s;
        });
        if (flat.length !== n || flat.some((x, i) => x !== i)) wrong.push(`${n}: items lost or reordered`);
      }
      expect(wrong).toEqual([]);
      // 1-16, then 32 … the largest power of two within max.
      expect(lengths.size).toBe(16 + Math.floor(Math.log2(max)) - 4);
    }
  });

  test('takes the largest slice that fits first', () => {
    expect(chunks(Array.from({ length: 700 }, (_, i) => i), 512).map((s) => s.length)).toEqual([512, 128, 32, 16, 12]);
    expect(chunks([1, 2, 3], 512).map((s) => s.length)).toEqual([3]);
  });
});

describe('statement texts on SQLite', () => {
  // Every SQL text gets a prepared statement of its own in the engine's cache.
  const Database = createRequire(import.meta.url)('better-sqlite3') as typeof BetterSqlite3;
  const prepared = () => new Set(spy.mock.calls.map(([source]) => source));
  let spy: jest.SpiedFunction<BetterSqlite3.Database['prepare']>;

  beforeAll(() => {
    spy = jest.spyOn(Database.prototype, 'prepare');
  });

  afterAll(() => {
    spy.mockRestore();
  });

  test('audit batches of every size from 1 to 300 make a bounded number of insert texts', async () => {
    const index = await MetadataIndex.open({ engine: { engine: 'sqlite', path: ':memory:' } });
    try {
      spy.mockClear();
      for (let n = 1; n <= 300; n++) {
        await index.appendAudit(Array.from({ length: n }, (_, i) => ({ time: n * 1000 + i, action: 'push', result: 'ok' })));
      }
      const inserts = [...prepared()].filter((t) => t.startsWith('insert into "audit"'));
      // 1-16, 32 and 64 rows: 18 texts; slices cut at a fixed 200 rows made one per length, 200.
      expect(inserts.length).toBe(18);
      const page = await index.audit({ limit: 1 });
      expect(page.items).toHaveLength(1);
    } finally {
      await index.close();
    }
  });
});
