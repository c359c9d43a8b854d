// Slots, the line in front of them, and the 429 when the line is full or too slow.
import { Code, RegistryError } from '../errors.js';
import { ConcurrencyLimit, KeyedConcurrencyLimit } from './concurrency.js';

const refusal = async (p: Promise<unknown>) => {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(RegistryError);
  return err as RegistryError;
};

test('up to `slots` run at once; the next waits in line and gets the first freed slot, in order', async () => {
  const limit = new ConcurrencyLimit({ name: 'things', slots: 2, queueLength: 5, waitMs: 5_000 });
  const a = await limit.acquire();
  await limit.acquire();
  const order: string[] = [];
  const c = limit.acquire().then((r) => { order.push('c'); return r; });
  const d = limit.acquire().then((r) => { order.push('d'); return r; });
  expect([limit.inUse, limit.waiting]).toEqual([2, 2]);
  a();
  a(); // a second release of the same slot frees nothing
  (await c)();
  await d;
  expect(order).toEqual(['c', 'd']);
  expect([limit.inUse, limit.waiting]).toEqual([2, 0]);
});

test('a full line is refused at once with 429, Retry-After and the limit named', async () => {
  const limit = new ConcurrencyLimit({ name: 'manifest PUTs', slots: 1, queueLength: 1, waitMs: 3_000 });
  await limit.acquire();
  const waiting = limit.acquire();
  const err = await refusal(limit.acquire());
  expect([err.is(Code.TOOMANYREQUESTS), err.headers['Retry-After']]).toEqual([true, '3']);
  expect(err.detail).toEqual({ limit: 'manifest PUTs', slots: 1, reason: 'the line is full' });
  expect(limit.waiting).toBe(1);
  void waiting.catch(() => undefined);
});

test('a wait longer than waitMs is refused, and leaves the line', async () => {
  const limit = new ConcurrencyLimit({ name: 'uploads', slots: 1, queueLength: 4, waitMs: 50 });
  const held = await limit.acquire();
  const err = await refusal(limit.acquire());
  expect((err.detail as { reason: string }).reason).toBe('no slot within 50 ms');
  expect(limit.waiting).toBe(0);
  held();
  expect(limit.inUse).toBe(0);
});

test('per-client limits are separate, and a client without requests is forgotten', async () => {
  const limit = new KeyedConcurrencyLimit({ name: 'uploads of this client', slots: 1, queueLength: 0, waitMs: 1_000 });
  const a = await limit.acquire('robot-a');
  const b = await limit.acquire('robot-b');
  expect((await refusal(limit.acquire('robot-a'))).is(Code.TOOMANYREQUESTS)).toBe(true);
  expect(limit.keys).toBe(2);
  a();
  b();
  expect(limit.keys).toBe(0);
});
