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

  it('after a failure starts nothing more and throws only once the calls in flight have ended', async () => {
    const tick = () => new Promise((r) => setImmediate(r));
    const started: number[] = [];
    const ended: number[] = [];
    let releaseSlow!: () => void;
    const slow = new Promise<void>((r) => { releaseSlow = r; });
    let settled = false;
    const run = forEachLimit(Array.from({ length: 20 }, (_, i) => i), 3, async (i) => {
      started.push(i);
      if (i === 0) await slow;
      if (i === 1) throw new Error('storage failed');
      await tick();
      ended.push(i);
    }).catch((err: Error) => { settled = true; return err; });
    for (let k = 0; k < 10; k++) await tick();
    // Item 1 failed: items 0 (waiting) and 2 (ended) were in flight, nothing after them started.
    expect(started).toEqual([0, 1, 2]);
    expect(settled).toBe(false);
    releaseSlow();
    const err = await run;
    expect((err as Error).message).toBe('storage failed');
    expect(ended.sort()).toEqual([0, 2]);
    expect(started).toEqual([0, 1, 2]);
  });

  it('does nothing with no items', async () => {
    let calls = 0;
    expect(await mapLimit([], 8, async () => { calls++; })).toEqual([]);
    expect(calls).toBe(0);
  });
});
