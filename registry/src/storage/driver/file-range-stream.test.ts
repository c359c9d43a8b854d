import { randomBytes } from 'node:crypto';
import { openSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { FileRangeStream } from './file-range-stream.js';

const dir = mkdtempSync(join(tmpdir(), 'berth-range-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const data = randomBytes(3 * 1024 * 1024 + 777);
const file = join(dir, 'blob');
writeFileSync(file, data);

/** A destination that takes its time, so writes are really in flight when the next read lands. */
function slowSink(): { sink: Writable; received: () => Buffer } {
  const parts: Buffer[] = [];
  const sink = new Writable({
    highWaterMark: 1024,
    write(chunk: Buffer, _enc, done) {
      parts.push(Buffer.from(chunk)); // the source reuses its buffers: keep a copy
      setImmediate(done);
    },
  });
  return { sink, received: () => Buffer.concat(parts) };
}

test.each([
  [0, data.length],
  [5, 1024 * 1024],
  [1024 * 1024 - 1, 2 * 1024 * 1024 + 3],
  [data.length - 10, 10],
])('copyTo writes exactly the range at %i, %i bytes, and ends the destination', async (start, length) => {
  const { sink, received } = slowSink();
  await new FileRangeStream(openSync(file, 'r'), start, length).copyTo(sink);
  expect(sink.writableFinished).toBe(true);
  expect(received().equals(data.subarray(start, start + length))).toBe(true);
});

test('more copies at once than pooled buffers: each still gets exactly its range', async () => {
  // Six copies hold up to twelve buffers at once, more than the pool's eight.
  const ranges = [[0, data.length], [1, data.length - 1], [777, 3 * 1024 * 1024], [4096, 2 * 1024 * 1024], [1024 * 1024, 1024 * 1024 + 777], [3, 5]];
  const sinks = ranges.map(() => slowSink());
  await Promise.all(ranges.map(([start, length], i) => new FileRangeStream(openSync(file, 'r'), start, length).copyTo(sinks[i].sink)));
  ranges.forEach(([start, length], i) => expect(sinks[i].received().equals(data.subarray(start, start + length))).toBe(true));
  // And again, now that the pool has all its buffers back.
  const again = slowSink();
  await new FileRangeStream(openSync(file, 'r'), 0, data.length).copyTo(again.sink);
  expect(again.received().equals(data)).toBe(true);
});

test('read as a Readable, the range comes in fresh buffers', async () => {
  const chunks: Buffer[] = [];
  for await (const c of new FileRangeStream(openSync(file, 'r'), 100, 2 * 1024 * 1024)) chunks.push(c as Buffer);
  expect(new Set(chunks.map((c) => c.buffer)).size).toBe(chunks.length);
  expect(Buffer.concat(chunks).equals(data.subarray(100, 100 + 2 * 1024 * 1024))).toBe(true);
});

test('a destination closed early rejects like pipeline does', async () => {
  const out = new PassThrough({ highWaterMark: 1 });
  out.once('data', () => out.destroy());
  await expect(new FileRangeStream(openSync(file, 'r'), 0, data.length).copyTo(out)).rejects.toMatchObject({ code: 'ERR_STREAM_PREMATURE_CLOSE' });
});

test('a file shorter than the range is an error, not a short answer', async () => {
  const { sink } = slowSink();
  await expect(new FileRangeStream(openSync(file, 'r'), 0, data.length + 5).copyTo(sink)).rejects.toThrow(/ended before/);
});
