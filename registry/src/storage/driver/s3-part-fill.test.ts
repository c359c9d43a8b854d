// The S3 writer's part buffers: bytes copied in across chunk boundaries, two
// buffers taking turns, and buffers that grow with the part instead of starting at
// the part size.
import { randomBytes } from 'node:crypto';
import { PartFill } from './s3-part-fill.js';

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
