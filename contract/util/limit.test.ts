import { forEachLimit, mapLimit } from './limit.js';

describe('bounded concurrency', () => {
  it('keeps at most `limit` calls in flight and the results in input order', async () => {
    let inFlight = 0;
    let peak = 0;
    const results = await mapLimit([5, 1, 4, 2, 3], 2, async (n) => {
      peak = Math.max(peak, ++inFlight);
      await new Promise((resolve) => setTimeout(resolve, n));
      inFlight--;
      return n * 10;
    });
    expect(results).toEqual([50, 10, 40, 20, 30]);
    expect(peak).toBe(2);
  });

  it('visits every item once, even with a limit above the item count or below one', async () => {
    const seen: number[] = [];
    await forEachLimit([1, 2, 3], 10, async (n) => { seen.push(n); });
    await forEachLimit([4], 0, async (n) => { seen.push(n); });
    expect(seen.sort()).toEqual([1, 2, 3, 4]);
  });

  it('rejects with the first failure', async () => {
    await expect(mapLimit([1, 2], 2, async (n) => { if (n === 2) throw new Error('boom'); return n; })).rejects.toThrow('boom');
  });
});
