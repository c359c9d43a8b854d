import { jest } from '@jest/globals';
import { createHash, randomBytes } from 'node:crypto';
import { Worker } from 'node:worker_threads';
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

/**
 * Watches this thread's traffic with the hash workers while `work` runs: what it
 * posts (the bytes it copied into slots) and what the workers answer. The calls go through.
 */
async function watchWorkers<T>(work: () => Promise<T>): Promise<{ result: T; ops: string[]; bytes: number; digests: (string | null)[] }> {
  const post = jest.spyOn(Worker.prototype, 'postMessage');
  const emit = jest.spyOn(Worker.prototype, 'emit');
  try {
    const result = await work();
    const sent = post.mock.calls.map(([m]) => m as { op: string; length?: number });
    const replies = emit.mock.calls.filter(([event]) => event === 'message').map(([, m]) => m as { op: string; hex?: string | null });
    return {
      result,
      ops: sent.map((m) => m.op),
      bytes: sent.reduce((n, m) => n + (m.length ?? 0), 0),
      digests: replies.filter((m) => m.op === 'digest').map((m) => m.hex ?? null),
    };
  } finally {
    post.mockRestore();
    emit.mockRestore();
  }
}

test('worker hash: sha512 and empty input, every byte and the digest going through a worker', async () => {
  const sha512 = await watchWorkers(() => feed('stream', data, 65536, 'sha512'));
  expect(sha512.result).toBe(expected(data, 'sha512'));
  expect(sha512.bytes).toBe(data.length);
  expect(sha512.digests).toEqual([sha512.result]);
  const empty = await watchWorkers(() => startHash('sha256', 'stream').digest());
  expect(empty.result).toBe(expected(Buffer.alloc(0)));
  expect(empty.ops).toEqual(['start', 'digest']);
  expect(empty.digests).toEqual([empty.result]);
});

test('a hash started from a buffer runs in place: nothing is copied or posted to a worker', async () => {
  const inPlace = await watchWorkers(() => feed('buffer', data, 65536));
  expect(inPlace.result).toBe(expected(data));
  expect(inPlace.ops).toEqual([]);
});

test('worker hashes run side by side, each over its own bytes', async () => {
  const inputs = [0, 1, 2, 3, 4, 5].map(() => randomBytes(1024 * 1024 + 17));
  const digests = await Promise.all(inputs.map((d) => feed('stream', d, 65536)));
  expect(digests).toEqual(inputs.map((d) => expected(d)));
});

test('a disposed worker hash frees its session; later hashes are unaffected', async () => {
  const abandon = await watchWorkers(async () => {
    const abandoned = startHash('sha256', 'stream');
    void abandoned.update(data); // its backpressure promise is never awaited: dispose() releases it
    abandoned.dispose();
  });
  expect(abandon.ops.at(-1)).toBe('drop');
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

test('hashBuffer: in place up to 256 KiB, on a worker above, the same digest either way', async () => {
  for (const size of [0, 1000, 256 * 1024]) {
    const slice = data.subarray(0, size);
    const seen = await watchWorkers(() => hashBuffer('sha256', slice));
    expect({ size, digest: seen.result, ops: seen.ops }).toEqual({ size, digest: expected(slice), ops: [] });
  }
  for (const [size, algorithm] of [[256 * 1024 + 1, 'sha256'], [data.length, 'sha256'], [data.length, 'sha512']] as const) {
    const slice = data.subarray(0, size);
    const seen = await watchWorkers(() => hashBuffer(algorithm, slice));
    expect({ size, digest: seen.result, bytes: seen.bytes, first: seen.ops[0], last: seen.ops.at(-1) })
      .toEqual({ size, digest: expected(slice, algorithm), bytes: size, first: 'start', last: 'digest' });
    // The digest returned is the one the worker computed.
    expect(seen.digests).toEqual([seen.result]);
  }
});
