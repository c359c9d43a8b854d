import { createHash, randomBytes } from 'node:crypto';
import { hashBuffer, startHash } from './running-hash.js';

const expected = (data: Buffer, algorithm = 'sha256') => createHash(algorithm).update(data).digest('hex');

async function feed(source: 'stream' | 'buffer', data: Buffer, step: number, algorithm: 'sha256' | 'sha512' = 'sha256'): Promise<string> {
  const hash = startHash(algorithm, source);
  for (let at = 0; at < data.length; at += step) await hash.update(data.subarray(at, at + step));
  return hash.digest();
}

// Odd chunk sizes cross slot boundaries at every alignment; 3 MiB keeps several slots in flight.
const data = randomBytes(3 * 1024 * 1024 + 4321);

test.each([1, 4099, 65536, 262144, 1000003])('worker hash over %i-byte chunks equals a one-shot hash', async (step) => {
  const input = step === 1 ? data.subarray(0, 20000) : data;
  expect(await feed('stream', input, step)).toBe(expected(input));
});

test('worker hash: sha512, empty input, in-place hash', async () => {
  expect(await feed('stream', data, 65536, 'sha512')).toBe(expected(data, 'sha512'));
  expect(await startHash('sha256', 'stream').digest()).toBe(expected(Buffer.alloc(0)));
  expect(await feed('buffer', data, 65536)).toBe(expected(data));
});

test('worker hashes run side by side, each over its own bytes', async () => {
  const inputs = [0, 1, 2, 3, 4, 5].map(() => randomBytes(1024 * 1024 + 17));
  const digests = await Promise.all(inputs.map((d) => feed('stream', d, 65536)));
  expect(digests).toEqual(inputs.map((d) => expected(d)));
});

test('a disposed worker hash frees its session; later hashes are unaffected', async () => {
  const abandoned = startHash('sha256', 'stream');
  void abandoned.update(data);
  abandoned.dispose();
  expect(await feed('stream', data, 65536)).toBe(expected(data));
});

test('the reused chunk does not change what was hashed', async () => {
  const hash = startHash('sha256', 'stream');
  const chunk = Buffer.alloc(100_000);
  const fed: Buffer[] = [];
  for (let i = 0; i < 20; i++) {
    chunk.fill(i);
    fed.push(Buffer.from(chunk));
    await hash.update(chunk);
  }
  expect(await hash.digest()).toBe(expected(Buffer.concat(fed)));
});

test('hashBuffer: in place below 256 KiB, on a worker above, the same digest either way', async () => {
  for (const size of [0, 1000, 256 * 1024, 256 * 1024 + 1, data.length]) {
    const slice = data.subarray(0, size);
    expect(await hashBuffer('sha256', slice)).toBe(expected(slice));
  }
  expect(await hashBuffer('sha512', data)).toBe(expected(data, 'sha512'));
});
