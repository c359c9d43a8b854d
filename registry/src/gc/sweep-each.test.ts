import { sweepEach } from './sweep-each.js';

const tick = () => new Promise((r) => setImmediate(r));

describe('sweepEach', () => {
  test('runs every item, never more than `limit` at once', async () => {
    let inFlight = 0;
    let most = 0;
    const done: number[] = [];
    await sweepEach(Array.from({ length: 50 }, (_, i) => i), 8, async (i) => {
      inFlight++;
      most = Math.max(most, inFlight);
      for (let k = 0; k < (i % 5) + 1; k++) await tick();
      inFlight--;
      done.push(i);
    });
    expect(most).toBe(8);
    expect([...done].sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  test('after a failure it starts nothing more and throws only once the calls in flight have ended', async () => {
    const started: number[] = [];
    const ended: number[] = [];
    let releaseSlow!: () => void;
    const slow = new Promise<void>((r) => { releaseSlow = r; });
    let settled = false;
    const run = sweepEach(Array.from({ length: 20 }, (_, i) => i), 3, async (i) => {
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

  test('nothing to do', async () => {
    let calls = 0;
    await sweepEach([], 8, async () => { calls++; });
    expect(calls).toBe(0);
  });
});
