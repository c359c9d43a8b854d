// The S3 writer's part buffers: bytes copied in across chunk boundaries, two
// buffers taking turns, buffers that grow with the part instead of starting at
// the part size, and the bounded pool finished writers return theirs to.
import { jest } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { PartFill, partBufferPool } from './s3-part-fill.js';

const MiB = 1024 * 1024;

/** Feeds `data` in chunks of `chunk` bytes; returns the parts taken whenever one is full. */
function fill(parts: PartFill, data: Buffer, chunk: number): Buffer[] {
  const taken: Buffer[] = [];
  for (let at = 0; at < data.length; at += chunk) {
    const piece = data.subarray(at, at + chunk);
    for (let offset = 0; offset < piece.length;) {
      offset += parts.append(piece, offset);
      if (parts.full) taken.push(Buffer.from(parts.take()));
    }
  }
  return taken;
}

test('bytes arriving in odd chunks come out as whole parts, in order, and the rest stays for the last part', () => {
  const partBytes = 5 * MiB;
  const parts = new PartFill(partBytes);
  const data = randomBytes(12 * MiB + 12_345);
  const taken = fill(parts, data, 64 * 1024 + 7);
  expect(taken.map((p) => p.length)).toEqual([partBytes, partBytes]);
  expect(parts.length).toBe(2 * MiB + 12_345);
  const last = parts.take();
  expect(Buffer.concat([...taken, last]).equals(data)).toBe(true);
  expect(parts.length).toBe(0);
  expect(parts.take().length).toBe(0);
});

test('a taken part stays intact while the next one fills, and its buffer is filled again only after that', () => {
  const partBytes = 5 * MiB;
  const parts = new PartFill(partBytes);
  const first = randomBytes(partBytes);
  const second = randomBytes(partBytes);
  parts.append(first);
  const a = parts.take();
  parts.append(second);
  expect(a.equals(first)).toBe(true); // uploading while the second part filled
  const b = parts.take();
  expect(b.buffer).not.toBe(a.buffer);
  parts.append(randomBytes(MiB));
  expect(parts.take().buffer).toBe(a.buffer); // the turns alternate: the first buffer again
  expect(b.equals(second)).toBe(true);
});

test('a small blob holds 1 MiB, not a part; a buffer grows fourfold up to the part size, keeping its bytes', () => {
  const partBytes = 16 * MiB;
  const small = new PartFill(partBytes);
  small.append(randomBytes(200));
  expect(small.take().buffer.byteLength).toBe(MiB);
  const big = new PartFill(partBytes);
  const data = randomBytes(partBytes);
  for (let at = 0; at < data.length; at += 64 * 1024) {
    expect(big.append(data.subarray(at, at + 64 * 1024))).toBe(64 * 1024);
  }
  expect(big.full).toBe(true);
  expect(big.append(data)).toBe(0);
  const part = big.take();
  expect(part.buffer.byteLength).toBe(partBytes);
  expect(part.equals(data)).toBe(true); // grown from 1 to 4 to 16 MiB, the bytes copied each time
});

test('a finished writer\'s full-size buffers serve the next writer; the pool is bounded and empties when idle', () => {
  jest.useFakeTimers();
  try {
    const partBytes = 16 * MiB;
    const first = new PartFill(partBytes);
    first.append(randomBytes(partBytes));
    const used = first.take().buffer;
    first.append(randomBytes(100)); // the other turn: 1 MiB, too small to pool
    first.release();
    expect(partBufferPool.held).toBe(partBytes);
    const next = new PartFill(partBytes);
    next.append(randomBytes(200));
    expect(next.take().buffer).toBe(used); // no new allocation, whatever the blob's size
    expect(partBufferPool.held).toBe(0);
    next.release();
    const writers = Array.from({ length: 6 }, () => {
      const f = new PartFill(partBytes);
      f.append(randomBytes(partBytes));
      f.take();
      f.append(randomBytes(partBytes));
      return f;
    });
    for (const f of writers) f.release(); // 12 buffers offered at once: 4 kept
    expect(partBufferPool.held).toBe(64 * MiB);
    jest.advanceTimersByTime(9_000);
    expect(partBufferPool.held).toBe(64 * MiB);
    jest.advanceTimersByTime(1_000);
    expect(partBufferPool.held).toBe(0);
  } finally {
    partBufferPool.clear();
    jest.useRealTimers();
  }
});
