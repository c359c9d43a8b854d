import { ExponentialBackoff } from './backoff.js';
import { WorkQueue } from './workqueue.js';

const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));

describe('WorkQueue', () => {
  it('hands out a key added several times only once', async () => {
    const q = new WorkQueue();
    q.add('ns/a');
    q.add('ns/a');
    q.add('ns/b');
    expect(q.depth).toBe(2);
    expect(await q.get()).toBe('ns/a');
    expect(await q.get()).toBe('ns/b');
    expect(q.depth).toBe(0);
  });

  it('never gives a key to a second worker while it is processed, and requeues it on done()', async () => {
    const q = new WorkQueue();
    q.add('k');
    const first = await q.get();
    q.add('k'); // changed again while being reconciled
    const second = q.get();
    let got: string | undefined;
    void second.then((k) => (got = k));
    await tick(10);
    expect(got).toBeUndefined();
    expect(q.isProcessing('k')).toBe(true);
    q.done(first!);
    expect(await second).toBe('k');
  });

  it('does not requeue a processed key that was not re-added', async () => {
    const q = new WorkQueue();
    q.add('k');
    q.done((await q.get())!);
    expect(q.depth).toBe(0);
    expect(q.isProcessing('k')).toBe(false);
  });

  it('delays addAfter and keeps the earliest of two delayed adds', async () => {
    const q = new WorkQueue();
    q.addAfter('k', 1000);
    q.addAfter('k', 30);
    q.addAfter('k', 2000);
    const start = Date.now();
    expect(await q.get()).toBe('k');
    const waited = Date.now() - start;
    expect(waited).toBeGreaterThanOrEqual(25);
    expect(waited).toBeLessThan(900);
  });

  it('backs off exponentially per key and forgets after success', async () => {
    const backoff = new ExponentialBackoff({ baseMs: 10, maxMs: 1000 });
    const q = new WorkQueue(backoff);
    const delays: number[] = [];
    for (let i = 0; i < 4; i++) {
      const t0 = Date.now();
      q.addRateLimited('k');
      const k = (await q.get())!;
      delays.push(Date.now() - t0);
      q.done(k);
    }
    expect(backoff.retries('k')).toBe(4);
    expect(delays[3]).toBeGreaterThanOrEqual(75); // 10, 20, 40, 80 ms
    q.forget('k');
    expect(backoff.retries('k')).toBe(0);
  });

  it('drops queued keys on shutdown', async () => {
    const q = new WorkQueue();
    q.add('a');
    q.add('b');
    q.shutDown();
    expect(q.depth).toBe(0);
    expect(await q.get()).toBeUndefined();
  });

  it('releases waiting workers on shutdown and ignores later adds', async () => {
    const q = new WorkQueue();
    const waiting = q.get();
    q.shutDown();
    expect(await waiting).toBeUndefined();
    q.add('k');
    expect(await q.get()).toBeUndefined();
  });

  it('reports depth changes', () => {
    const depths: number[] = [];
    const q = new WorkQueue(undefined, { onDepthChange: (d) => depths.push(d) });
    q.add('a');
    q.add('b');
    expect(depths).toEqual([1, 2]);
  });
});

describe('ExponentialBackoff', () => {
  it('doubles from the base up to the cap', () => {
    const b = new ExponentialBackoff({ baseMs: 5, maxMs: 100 });
    expect([1, 2, 3, 4, 5, 6, 7].map(() => b.next('k'))).toEqual([5, 10, 20, 40, 80, 100, 100]);
    expect(b.next('other')).toBe(5);
  });
});
