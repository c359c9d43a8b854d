import { PerformanceObserver, constants, type PerformanceEntry } from 'node:perf_hooks';
import { noteReceived } from './received-buffers.js';

const MiB = 1024 * 1024;

const settle = () => new Promise((resolve) => setTimeout(resolve, 50));

/** Forced young-generation collections V8 reports while `body` runs (the collector's own ones are not forced). */
async function minorCollectionsDuring(body: () => void): Promise<number> {
  const seen: PerformanceEntry[] = [];
  const observer = new PerformanceObserver((list) => seen.push(...list.getEntries()));
  observer.observe({ entryTypes: ['gc'] });
  body();
  await settle();
  observer.disconnect();
  return seen.filter((e) => {
    const detail = (e as unknown as { detail?: { kind: number; flags: number } }).detail;
    return detail?.kind === constants.NODE_PERFORMANCE_GC_MINOR && (detail.flags & constants.NODE_PERFORMANCE_GC_FLAGS_FORCED) !== 0;
  }).length;
}

test('every 8 MiB received runs one young-generation collection, smaller amounts none', async () => {
  noteReceived(16 * MiB); // settles the counter whatever earlier calls left
  await settle(); // V8 reports a collection on a later turn of the loop: let that one pass unobserved
  expect(await minorCollectionsDuring(() => { for (let i = 0; i < 64; i++) noteReceived(64 * 1024 - 1); })).toBe(0);
  expect(await minorCollectionsDuring(() => { for (let i = 0; i < 3 * 128; i++) noteReceived(64 * 1024); })).toBe(3);
});

test('gc stays off the global object', () => {
  noteReceived(8 * MiB);
  expect((globalThis as { gc?: unknown }).gc).toBeUndefined();
});
