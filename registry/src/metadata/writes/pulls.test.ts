import type { PullRecord } from '../types.js';
import { PullBuffer } from './pulls.js';

describe('PullBuffer', () => {
  test('keeps the newest time per (repository, digest, tag) and writes them in one batch', async () => {
    const batches: PullRecord[][] = [];
    const buffer = new PullBuffer(async (r) => { batches.push(r); }, 60_000, 100, () => undefined);
    buffer.record('r', 'd1', 'v1', 5);
    buffer.record('r', 'd1', 'v1', 3);
    buffer.record('r', 'd1', undefined, 4);
    buffer.record('s', 'd1', 'v1', 1);
    expect(buffer.size).toBe(3);
    await buffer.flush();
    expect(batches).toEqual([[
      { repo: 'r', digest: 'd1', tag: 'v1', at: 5 }, { repo: 'r', digest: 'd1', tag: undefined, at: 4 }, { repo: 's', digest: 'd1', tag: 'v1', at: 1 },
    ]]);
    await buffer.flush();
    expect(batches).toHaveLength(1); // nothing new, no write
  });

  test('a failed write keeps its entries for the next one, newer times winning', async () => {
    let fail = true;
    const written: PullRecord[][] = [];
    const errors: unknown[] = [];
    const buffer = new PullBuffer(async (r) => {
      if (fail) throw new Error('database down');
      written.push(r);
    }, 60_000, 100, (e) => errors.push(e));
    buffer.record('r', 'd', 't', 1);
    await expect(buffer.flush()).rejects.toThrow('database down');
    buffer.record('r', 'd', 't', 2);
    expect(buffer.size).toBe(1);
    fail = false;
    await buffer.flush();
    expect(written).toEqual([[{ repo: 'r', digest: 'd', tag: 't', at: 2 }]]);
  });

  test('reaching the limit writes early, without waiting for the timer', async () => {
    const written: PullRecord[][] = [];
    const buffer = new PullBuffer(async (r) => { written.push(r); }, 60_000, 3, () => undefined);
    for (let i = 0; i < 3; i++) buffer.record('r', `d${i}`, undefined, i);
    await buffer.close();
    expect(written.flat()).toHaveLength(3);
    expect(written[0]).toHaveLength(3);
  });
});
