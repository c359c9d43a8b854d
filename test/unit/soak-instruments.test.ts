// The soak's instruments: the pacer that holds two runs to one rate, and the
// reading of the registry's heap figures from its /metrics text.
import { pacer } from '../harness/pacer.js';
import { parseHeapFigures } from '../harness/heap-figures.js';

test('the pacer hands out slots 1/rate apart, shared by all callers', async () => {
  const pace = pacer(50); // 20 ms apart
  const started = Date.now();
  const done: number[] = [];
  await Promise.all(Array.from({ length: 6 }, async () => { await pace(); done.push(Date.now() - started); }));
  done.sort((a, b) => a - b);
  // Six callers at once: the first at once, the last five slots (100 ms) later.
  expect(done[0]).toBeLessThan(20);
  expect(done[5]).toBeGreaterThanOrEqual(95);
});

test('a caller that fell behind gets no burst of past slots', async () => {
  let clock = 0;
  const pace = pacer(1, () => clock); // 1 s apart
  await pace(); // slot 0
  clock = 10_000; // ten slots missed
  const before = Date.now();
  await pace(); // slot 10 s: now, no wait
  expect(Date.now() - before).toBeLessThan(50);
  clock = 10_000;
  const wait = pace(); // the next slot is 1 s away on the fake clock
  let resolved = false;
  void wait.then(() => { resolved = true; });
  await new Promise((r) => setTimeout(r, 200));
  expect(resolved).toBe(false);
  await wait;
});

test('a rate that is not positive is refused', () => {
  expect(() => pacer(0)).toThrow(/positive/);
  expect(() => pacer(Number.NaN)).toThrow(/positive/);
});

test("the heap figures are read from prom-client's default gauges, under any prefix", () => {
  const text = [
    '# HELP berth_registry_nodejs_heap_size_total_bytes Process heap size from Node.js in bytes.',
    'berth_registry_nodejs_heap_size_total_bytes 104857600',
    'berth_registry_nodejs_heap_size_used_bytes 26214400',
    'berth_registry_nodejs_external_memory_bytes 2097152',
    'berth_registry_nodejs_heap_space_size_used_bytes{space="old"} 999',
  ].join('\n');
  expect(parseHeapFigures(text)).toEqual({ heapUsedMiB: 25, heapTotalMiB: 100, externalMiB: 2 });
});

test('a missing gauge reads as NaN, not as zero', () => {
  expect(parseHeapFigures('berth_registry_nodejs_heap_size_used_bytes 1048576').heapTotalMiB).toBeNaN();
});
