import { Circuit } from './circuit.js';

test('closed until a failure; open for the window; then one probe at a time', () => {
  const changes: boolean[] = [];
  const c = new Circuit(30, (open) => changes.push(open));
  expect(c.tryAcquire(0)).toBe(true);
  c.failed(undefined, 1000);
  expect(c.tryAcquire(1000)).toBe(false);
  expect(c.tryAcquire(30_999)).toBe(false);
  expect(c.retryAfterSeconds(1000)).toBe(30);
  expect(c.tryAcquire(31_000)).toBe(true); // the probe
  expect(c.tryAcquire(31_000)).toBe(false); // everyone else waits for it
  c.succeeded();
  expect(c.tryAcquire(31_001)).toBe(true);
  expect(changes).toEqual([true, false]);
});

test('a failed probe re-opens it; Retry-After sets the window', () => {
  const c = new Circuit(30);
  c.failed(120, 0);
  expect(c.tryAcquire(60_000)).toBe(false);
  expect(c.tryAcquire(120_000)).toBe(true);
  c.failed(undefined, 120_000);
  expect(c.tryAcquire(140_000)).toBe(false);
  expect(c.isOpen).toBe(true);
});
