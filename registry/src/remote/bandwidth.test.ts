import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import { BandwidthLimit } from './bandwidth.js';

test('two streams share one cap: 1 MiB at 2 MiB/s takes about half a second', async () => {
  const limit = new BandwidthLimit(2 * 1024 * 1024);
  const started = Date.now();
  const drain = () => new Writable({ write: (_c, _e, done) => done() });
  const chunks = () => Readable.from(Array.from({ length: 8 }, () => Buffer.alloc(64 * 1024)));
  await Promise.all([pipeline(chunks(), limit.stream(), drain()), pipeline(chunks(), limit.stream(), drain())]);
  const seconds = (Date.now() - started) / 1000;
  // 1 MiB minus the initial burst (0.5 MiB) at 2 MiB/s: at least 0.2 s; never unthrottled.
  expect(seconds).toBeGreaterThan(0.2);
});
