import { PassThrough } from 'node:stream';
import { createLogger } from '../log.js';
import { TagConfirmations } from './tag-confirmations.js';

test('a confirmation counts at once and until its write lands; one for another digest or an older time does not', async () => {
  const c = new TagConfirmations(createLogger('silent'));
  let land!: () => void;
  c.confirm('docker.io/library/alpine', '3.20', 'sha256:a', () => new Promise<void>((resolve) => { land = resolve; }), 5_000);
  expect(c.confirmedAt('docker.io/library/alpine', '3.20', 'sha256:a', 1_000)).toBe(5_000);
  expect(c.confirmedAt('docker.io/library/alpine', '3.20', 'sha256:b', 1_000)).toBe(1_000); // the tag moved meanwhile
  expect(c.confirmedAt('docker.io/library/alpine', '3.20', 'sha256:a', 6_000)).toBe(6_000);
  expect(c.confirmedAt('docker.io/library/alpine', 'latest', 'sha256:a', 1_000)).toBe(1_000);
  land();
  await c.settled();
  // Written: the stored time is the answer from now on.
  expect(c.confirmedAt('docker.io/library/alpine', '3.20', 'sha256:a', 1_000)).toBe(1_000);
});

test('a failed write is logged, forgotten, and never rejects anyone', async () => {
  const lines: string[] = [];
  const out = new PassThrough();
  out.on('data', (l: Buffer) => lines.push(l.toString()));
  const c = new TagConfirmations(createLogger('warn', out));
  c.confirm('r', 't', 'sha256:a', () => Promise.reject(new Error('disk full')), 5_000);
  await c.settled();
  expect(c.confirmedAt('r', 't', 'sha256:a', 1_000)).toBe(1_000);
  await new Promise((r) => setImmediate(r));
  expect(lines.join('')).toContain('disk full');
});
