// The bounded cache: by entries, and by bytes when given a weight, so large values
// cannot grow it beyond its budget whatever their count.
import { LruCache } from './lru-cache.js';

const bytes = (n: number) => Buffer.alloc(n);

test('by entries: the least recently used goes first', () => {
  const c = new LruCache<number>(2);
  c.set('a', 1);
  c.set('b', 2);
  expect(c.get('a')).toBe(1);
  c.set('c', 3);
  expect([c.get('a'), c.get('b'), c.get('c'), c.size]).toEqual([1, undefined, 3, 2]);
});

test('by weight: 100 values of 64 KiB in a 1 MiB budget keep the newest 16', () => {
  const c = new LruCache<Buffer>(4096, { max: 1024 * 1024, weigh: (b) => b.length });
  for (let i = 0; i < 100; i++) c.set(`k${i}`, bytes(64 * 1024));
  expect(c.size).toBe(16);
  expect(c.weightHeld).toBe(1024 * 1024);
  expect(c.get('k83')).toBeUndefined();
  expect(c.get('k84')?.length).toBe(64 * 1024);
});

test('a value over the whole budget is not kept, and pushes nothing out', () => {
  const c = new LruCache<Buffer>(10, { max: 1000, weigh: (b) => b.length });
  c.set('small', bytes(10));
  c.set('huge', bytes(1001));
  expect([c.get('huge'), c.get('small')?.length, c.weightHeld]).toEqual([undefined, 10, 10]);
});

test('replacing and deleting keep the weight exact', () => {
  const c = new LruCache<Buffer>(10, { max: 1000, weigh: (b) => b.length });
  c.set('a', bytes(300));
  c.set('a', bytes(100));
  c.set('b', bytes(200));
  expect(c.weightHeld).toBe(300);
  c.delete('a');
  c.delete('missing');
  expect([c.size, c.weightHeld]).toEqual([1, 200]);
});
