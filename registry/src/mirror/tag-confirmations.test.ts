import { PassThrough } from 'node:stream';
import { createLogger } from '../log.js';
import { confirmedAt, TagConfirmations } from './tag-confirmations.js';

test('a confirmation counts at once and until its write lands; one for another digest or an older time does not', async () => {
  const c = new TagConfirmations(createLogger('silent'));
  let land!: () => void;
  c.confirm('docker.io/library/alpine', '3.20', 'sha256:a', () => new Promise<void>((resolve) => { land = resolve; }), 5_000);
  expect(confirmedAt(c.pendingFor('docker.io/library/alpine', '3.20'), 'sha256:a', 1_000)).toBe(5_000);
  expect(confirmedAt(c.pendingFor('docker.io/library/alpine', '3.20'), 'sha256:b', 1_000)).toBe(1_000); // the tag moved meanwhile
  expect(confirmedAt(c.pendingFor('docker.io/library/alpine', '3.20'), 'sha256:a', 6_000)).toBe(6_000);
  expect(confirmedAt(c.pendingFor('docker.io/library/alpine', 'latest'), 'sha256:a', 1_000)).toBe(1_000);
  land();
  await c.settled();
  // Written: the stored time is the answer from now on.
  expect(confirmedAt(c.pendingFor('docker.io/library/alpine', '3.20'), 'sha256:a', 1_000)).toBe(1_000);
});

test('a failed write is logged, forgotten, and never rejects anyone', async () => {
  const lines: string[] = [];
  const out = new PassThrough();
  out.on('data', (l: Buffer) => lines.push(l.toString()));
  const c = new TagConfirmations(createLogger('warn', out));
  c.confirm('r', 't', 'sha256:a', () => Promise.reject(new Error('disk full')), 5_000);
  await c.settled();
  expect(confirmedAt(c.pendingFor('r', 't'), 'sha256:a', 1_000)).toBe(1_000);
  await new Promise((r) => setImmediate(r));
  expect(lines.join('')).toContain('disk full');
});

test('a confirmation read before the stored tag still counts when its write lands in between', async () => {
  const c = new TagConfirmations(createLogger('silent'));
  let land!: () => void;
  c.confirm('r', 't', 'sha256:a', () => new Promise<void>((resolve) => { land = resolve; }), 5_000);
  const pending = c.pendingFor('r', 't'); // a pull reads this, then the stored tag (still the old time)...
  land();
  await c.settled(); // ...while the write lands and the entry goes
  expect(c.pendingFor('r', 't')).toBeUndefined();
  expect(confirmedAt(pending, 'sha256:a', 1_000)).toBe(5_000);
});
