import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable, type Readable } from 'node:stream';
import { Spool } from './spool.js';

let dir: string;
beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'berth-spool-')); });
afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

async function collect(r: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of r) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

test('readers joining at any time get every byte, whole or by range; the file is never visible', async () => {
  const data = randomBytes(1024 * 1024 + 7);
  const spool = await Spool.create(dir, data.length);
  expect(await readdir(dir)).toEqual([]);
  const early = collect(spool.reader());
  const range = collect(spool.reader(1000, 300_000));
  for (let i = 0; i < data.length; i += 65_536) await spool.append(data.subarray(i, i + 65_536));
  const late = collect(spool.reader(500_000));
  spool.verified();
  expect((await early).equals(data)).toBe(true);
  expect((await range).equals(data.subarray(1000, 300_000))).toBe(true);
  expect((await late).equals(data.subarray(500_000))).toBe(true);
  await spool.closed();
});

test('the last byte waits for verification; a failure then fails every reader', async () => {
  const spool = await Spool.create(dir, 10);
  const reader = spool.reader();
  const got: Buffer[] = [];
  const ended = new Promise<Error | undefined>((resolve) => {
    reader.on('data', (c: Buffer) => got.push(c));
    reader.on('error', resolve);
    reader.on('end', () => resolve(undefined));
  });
  await spool.append(Buffer.from('0123456789'));
  for (let i = 0; i < 200 && Buffer.concat(got).length < 9; i++) await new Promise((r) => setTimeout(r, 10));
  await new Promise((r) => setTimeout(r, 20)); // room for a wrongly released tenth byte to arrive
  expect(Buffer.concat(got).toString()).toBe('012345678');
  spool.failed(new Error('digest mismatch'));
  expect((await ended)?.message).toBe('digest mismatch');
  expect(createHash('sha256').update(Buffer.concat(got)).digest('hex')).not.toBe(createHash('sha256').update('0123456789').digest('hex'));
  await spool.closed();
});

test('a reader that goes away never holds the fill up, and the descriptor closes once all are done', async () => {
  const spool = await Spool.create(dir, undefined);
  const gone = spool.reader();
  gone.destroy();
  for (let i = 0; i < 64; i++) await spool.append(randomBytes(64 * 1024));
  const after = collect(spool.reader());
  spool.verified();
  expect((await after).length).toBe(64 * 64 * 1024);
  await spool.closed();
});

test('copyTo sends a range as it fills through reused buffers, counts it, and fails the destination with the fill', async () => {
  const data = randomBytes(3 * 1024 * 1024 + 5);
  const spool = await Spool.create(dir, data.length);
  const sink = (): { out: Writable; got: Buffer[] } => {
    const got: Buffer[] = [];
    // Copies each chunk: the copier reuses its buffers once a write's callback ran.
    return { got, out: new Writable({ write: (c: Buffer, _e, done) => { got.push(Buffer.from(c)); setImmediate(done); } }) };
  };
  const whole = sink();
  const part = sink();
  const wholeReader = spool.reader();
  const partReader = spool.reader(100, 2 * 1024 * 1024);
  const copies = [wholeReader.copyTo(whole.out), partReader.copyTo(part.out)];
  for (let i = 0; i < data.length; i += 65_536) await spool.append(data.subarray(i, i + 65_536));
  spool.verified();
  await Promise.all(copies);
  expect(Buffer.concat(whole.got).equals(data)).toBe(true);
  expect(Buffer.concat(part.got).equals(data.subarray(100, 2 * 1024 * 1024))).toBe(true);
  expect([wholeReader.bytesCopied, partReader.bytesCopied]).toEqual([data.length, 2 * 1024 * 1024 - 100]);
  expect(whole.out.writableFinished).toBe(true);
  await spool.closed();

  const failing = await Spool.create(dir, 10);
  const cut = sink();
  const destinationError = new Promise<Error>((resolve) => cut.out.on('error', resolve));
  const copy = failing.reader().copyTo(cut.out);
  await failing.append(Buffer.from('0123456789'));
  failing.failed(new Error('digest mismatch'));
  await expect(copy).rejects.toThrow('digest mismatch');
  expect((await destinationError).message).toBe('digest mismatch');
  expect(cut.out.destroyed).toBe(true);
  expect(Buffer.concat(cut.got).length).toBeLessThan(10);
  await failing.closed();
});

test('a destination that closes mid-copy ends the copy; the fill failing afterwards reaches no one', async () => {
  const spool = await Spool.create(dir, 4 * 1024 * 1024);
  const out = new Writable({ write: (_c: Buffer, _e, done) => setImmediate(done) });
  const copy = spool.reader().copyTo(out);
  await spool.append(randomBytes(2 * 1024 * 1024));
  await new Promise((r) => setTimeout(r, 20));
  out.destroy();
  await expect(copy).rejects.toMatchObject({ code: 'ERR_STREAM_PREMATURE_CLOSE' });
  spool.failed(new Error('digest mismatch'));
  await spool.closed();
});
