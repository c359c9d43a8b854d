// The S3 driver's large-object paths on a real S3 server: small appends kept in
// the bucket, the 10,000-part cap, the 5 GiB copy cap, and cleanup of multipart
// uploads. The caps are lowered through driver options so megabytes exercise
// the code paths terabytes would.
import { jest } from '@jest/globals';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseDigest } from '../../../registry/src/reference.js';
import { PathNotFoundError, StorageUnavailableError } from '../../../registry/src/storage/driver/driver.js';
import { S3Bucket } from '../../../registry/src/storage/driver/s3-bucket.js';
import type { MultipartLimits } from '../../../registry/src/storage/driver/s3-multipart.js';
import { S3Driver } from '../../../registry/src/storage/driver/s3.js';
import type { WriterState } from '../../../registry/src/storage/driver/s3-writer.js';
import { BlobStore } from '../../../registry/src/storage/blob-store.js';
import { UploadStore } from '../../../registry/src/storage/upload-store.js';
import { startS3Server, type S3Server } from '../../harness/s3-server.js';

const MiB = 1024 * 1024;
let server: S3Server;
let prefix: string;

beforeAll(async () => {
  server = await startS3Server();
});

afterAll(async () => {
  await server?.stop();
});

beforeEach(() => {
  prefix = `mp-${randomBytes(4).toString('hex')}`;
});

afterEach(() => {
  jest.restoreAllMocks();
});

function driver(limits: Partial<MultipartLimits> = {}): S3Driver {
  return new S3Driver({
    connection: { endpoint: server.endpoint, region: 'us-east-1', accessKey: server.accessKey, secretKey: server.secretKey, pathStyle: true },
    bucket: server.bucket, prefix, requestTimeoutMs: 30_000, limits: { partBytes: 5 * MiB, ...limits },
  });
}

async function keysUnder(p: string): Promise<Array<{ key: string; size: number }>> {
  const page = await server.client().listObjectsV2Query(server.bucket, p, '', '', 1000, '');
  return page.objects.filter((o) => o.name).map((o) => ({ key: o.name!, size: o.size }));
}

async function pendingUploads(p: string): Promise<string[]> {
  const page = await server.client().listIncompleteUploadsQuery(server.bucket, p, '', '', '');
  return page.uploads.map((u) => u.key);
}

async function writerState(key: string): Promise<WriterState> {
  const chunks: Buffer[] = [];
  for await (const c of await server.client().getObject(server.bucket, `${key}~/state`)) chunks.push(c as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8')) as WriterState;
}

async function sha256Of(d: S3Driver, path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(await d.reader(path), hash);
  return hash.digest('hex');
}

/** Appends `chunk` through a fresh driver (as a new registry process would) and closes. */
async function appendThroughNewDriver(path: string, chunk: Buffer, limits: Partial<MultipartLimits> = {}): Promise<number> {
  const d = driver(limits);
  try {
    const w = await d.writer(path, { append: true });
    await w.write(Readable.from([chunk]));
    await w.close();
    return w.size;
  } finally {
    await d.close();
  }
}

test('appends smaller than the 5 MiB part minimum accumulate in the bucket and continue across drivers', async () => {
  const path = '/up/data';
  const key = `${prefix}/up/data`;
  const expected = createHash('sha256');
  for (let i = 1; i <= 12; i++) {
    const chunk = randomBytes(MiB);
    expected.update(chunk);
    expect(await appendThroughNewDriver(path, chunk)).toBe(i * MiB);
    const state = await writerState(key);
    expect(state.size).toBe(i * MiB);
    // Whole 5 MiB parts went to the multipart upload; the remainder is a tail object.
    expect(state.parts.length).toBe(Math.floor(i / 5));
    expect(state.tail?.size ?? 0).toBe((i % 5) * MiB);
    const tails = (await keysUnder(`${key}~/tail-`)).map((o) => o.size);
    expect(tails).toEqual(i % 5 ? [(i % 5) * MiB] : []);
  }
  const d = driver();
  const w = await d.writer(path, { append: true });
  await w.commit();
  expect(w.size).toBe(12 * MiB);
  expect(await sha256Of(d, path)).toBe(expected.digest('hex'));
  expect(await keysUnder(`${key}~/`)).toEqual([]);
  expect(await pendingUploads(key)).toEqual([]);
  await d.delete('/up');
  await d.close();
});

test('an upload past the part-count cap is consolidated by server-side copy and stays byte-exact', async () => {
  // maxParts 6 stands for S3's 10,000: 10 appends of 5 MiB need 10 parts.
  const limits = { maxParts: 6, maxCopyPartBytes: 16 * MiB };
  const uploadPart = jest.spyOn(S3Bucket.prototype, 'uploadPart');
  const copyPart = jest.spyOn(S3Bucket.prototype, 'copyPart');
  const path = '/big/data';
  const expected = createHash('sha256');
  for (let i = 1; i <= 10; i++) {
    const chunk = randomBytes(5 * MiB);
    expected.update(chunk);
    expect(await appendThroughNewDriver(path, chunk, limits)).toBe(i * 5 * MiB);
    const state = await writerState(`${prefix}/big/data`);
    expect(state.parts.length).toBeLessThanOrEqual(limits.maxParts - 1);
    expect(state.parts.reduce((n, p) => n + p.size, 0)).toBe(i * 5 * MiB);
  }
  const d = driver(limits);
  const w = await d.writer(path, { append: true });
  await w.write(Buffer.from('last bytes'));
  expected.update('last bytes');
  await w.commit();
  expect(copyPart.mock.calls.length).toBeGreaterThanOrEqual(2); // consolidated at least once
  for (const call of [...uploadPart.mock.calls, ...copyPart.mock.calls]) expect(call[3]).toBeLessThanOrEqual(limits.maxParts);
  expect((await d.stat(path)).size).toBe(50 * MiB + 10);
  expect(await sha256Of(d, path)).toBe(expected.digest('hex'));
  expect(await pendingUploads(`${prefix}/`)).toEqual([]);
  await d.delete('/big');
  await d.close();
});

test('moving an object over the single-copy limit uses multipart copy, never one CopyObject', async () => {
  // maxCopyObjectBytes 8 MiB stands for S3's 5 GiB CopyObject limit.
  const d = driver({ maxCopyObjectBytes: 8 * MiB, maxCopyPartBytes: 10 * MiB });
  const bytes = randomBytes(25 * MiB + 3);
  const w = await d.writer('/uploads/data');
  await w.write(bytes);
  await w.commit();
  const copy = jest.spyOn(S3Bucket.prototype, 'copy');
  const copyPart = jest.spyOn(S3Bucket.prototype, 'copyPart');
  await d.move('/uploads/data', '/blobs/sha256/ab/abc');
  expect(copy).not.toHaveBeenCalled();
  expect(copyPart).toHaveBeenCalledTimes(3);
  const got = await d.getContent('/blobs/sha256/ab/abc');
  expect(got.length).toBe(bytes.length);
  expect(got.equals(bytes)).toBe(true);
  await expect(d.stat('/uploads/data')).rejects.toBeInstanceOf(PathNotFoundError);
  await d.delete('/blobs');
  await d.close();
});

test('delete aborts multipart uploads under the path, including ones no state names', async () => {
  const d = driver();
  const closed = await d.writer('/gone/a/data');
  await closed.write(randomBytes(6 * MiB));
  await closed.close();
  // A writer whose process died after uploading a part but before close(). The part
  // uploads while the writer reads on: wait until it is stored, as the crash came after.
  const uploadPart = jest.spyOn(S3Bucket.prototype, 'uploadPart');
  const crashed = await d.writer('/gone/b/data');
  await crashed.write(randomBytes(6 * MiB));
  await Promise.all(uploadPart.mock.results.map((r) => r.value));
  await d.putContent('/gone-sibling', 'keep');
  expect((await pendingUploads(`${prefix}/gone/`)).sort()).toEqual([`${prefix}/gone/a/data`, `${prefix}/gone/b/data`]);
  await d.delete('/gone');
  expect(await pendingUploads(`${prefix}/gone/`)).toEqual([]);
  expect(await keysUnder(`${prefix}/gone/`)).toEqual([]);
  expect((await d.getContent('/gone-sibling')).toString()).toBe('keep');
  await d.delete('/gone-sibling');
  await d.close();
});

test('abandoned registry uploads are purged with their multipart parts', async () => {
  const d = driver();
  const uploads = new UploadStore(d, new BlobStore(d));
  const stale = await uploads.create('team/app');
  expect((await uploads.append('team/app', stale.id, Readable.from([randomBytes(6 * MiB)]))).size).toBe(6 * MiB);
  expect(await pendingUploads(`${prefix}/_uploads/${stale.id}/`)).toHaveLength(1);
  expect(await uploads.purge(3600, Date.now() + 2 * 3600 * 1000)).toBe(1);
  expect(await pendingUploads(`${prefix}/_uploads/`)).toEqual([]);
  expect(await keysUnder(`${prefix}/_uploads/`)).toEqual([]);
  await d.close();
});

test('a chunked registry upload through two drivers completes with the right digest', async () => {
  const a = driver();
  const b = driver();
  const bytes = randomBytes(9 * MiB + 5);
  const digest = parseDigest(`sha256:${createHash('sha256').update(bytes).digest('hex')}`)!;
  const viaA = new UploadStore(a, new BlobStore(a));
  const viaB = new UploadStore(b, new BlobStore(b));
  const upload = await viaA.create('team/app');
  await viaA.append('team/app', upload.id, Readable.from([bytes.subarray(0, 3 * MiB)]), { start: 0 });
  await viaB.append('team/app', upload.id, Readable.from([bytes.subarray(3 * MiB, 7 * MiB)]), { start: 3 * MiB });
  const done = await viaA.complete('team/app', upload.id, digest, Readable.from([bytes.subarray(7 * MiB)]), { start: 7 * MiB });
  expect(done.size).toBe(bytes.length);
  expect(await sha256Of(b, `/blobs/sha256/${digest.hex.slice(0, 2)}/${digest.hex}`)).toBe(digest.hex);
  expect(await pendingUploads(`${prefix}/`)).toEqual([]);
  await a.delete('/blobs');
  await a.delete('/repositories');
  await Promise.all([a.close(), b.close()]);
});

test('a truncating writer that is closed replaces the old object; its size survives close and commit', async () => {
  const d = driver();
  await d.putContent('/t', 'an older and longer version');
  const w = await d.writer('/t');
  await w.write(Buffer.from('new'));
  await w.close();
  expect(w.size).toBe(3);
  expect((await d.stat('/t')).size).toBe(3);
  const again = await d.writer('/t', { append: true });
  await again.write(Buffer.from('er'));
  await again.commit();
  expect(again.size).toBe(5);
  expect((await d.getContent('/t')).toString()).toBe('newer');
  await d.delete('/t');
  await d.close();
});

test('appending to a finished object continues it, whether it is below or above the part minimum', async () => {
  const d = driver();
  for (const size of [3 * MiB, 7 * MiB]) {
    const first = randomBytes(size);
    const more = randomBytes(2 * MiB);
    await d.putContent('/finished', first);
    const w = await d.writer('/finished', { append: true });
    expect(w.size).toBe(size);
    await w.write(more);
    await w.commit();
    const got = await d.getContent('/finished');
    expect(got.length).toBe(size + more.length);
    expect(got.equals(Buffer.concat([first, more]))).toBe(true);
  }
  await d.delete('/finished');
  expect(await keysUnder(`${prefix}/`)).toEqual([]);
  await d.close();
});

test('a long stream is sent in parts of the configured size, one uploading while the next fills', async () => {
  const partBytes = 6 * MiB;
  const d = driver({ partBytes });
  const uploadPart = jest.spyOn(S3Bucket.prototype, 'uploadPart');
  const put = jest.spyOn(S3Bucket.prototype, 'put');
  const chunk = randomBytes(256 * 1024 + 1); // odd-sized chunks, as a socket delivers them
  const count = 160; // 40 MiB
  const expected = createHash('sha256');
  for (let i = 0; i < count; i++) expected.update(chunk);
  const w = await d.writer('/stream');
  await w.write(Readable.from((function* () { for (let i = 0; i < count; i++) yield chunk; })()));
  await w.commit();
  const sizes = uploadPart.mock.calls.map((c) => c[4].length);
  expect(sizes.slice(0, -1).every((n) => n === partBytes)).toBe(true);
  expect(sizes[sizes.length - 1]).toBeLessThanOrEqual(partBytes);
  expect(sizes.reduce((a, b) => a + b, 0)).toBe(count * chunk.length);
  // No single PUT of the data: only the small state and tail objects, never the blob.
  expect(put.mock.calls.every((c) => c[2].length < partBytes)).toBe(true);
  expect(await sha256Of(d, '/stream')).toBe(expected.digest('hex'));
  await d.delete('/stream');
  await d.close();
});

test('a part uploads while the next one fills, never two at once; a failed part fails the close and leaves the state as it was', async () => {
  const partBytes = 5 * MiB;
  const d = driver({ partBytes });
  // eslint-disable-next-line @typescript-eslint/unbound-method -- applied to the bucket the spy is called on
  const original = S3Bucket.prototype.uploadPart;
  let uploading = 0;
  let most = 0;
  let calls = 0;
  const failCall = { at: 0 };
  jest.spyOn(S3Bucket.prototype, 'uploadPart').mockImplementation(async function (this: S3Bucket, ...args) {
    const call = ++calls;
    uploading++;
    most = Math.max(most, uploading);
    try {
      await new Promise((resolve) => setTimeout(resolve, 50)); // a slow store: the writer must not wait idle
      if (call === failCall.at) throw new StorageUnavailableError('s3', 'part refused');
      return await original.apply(this, args);
    } finally {
      uploading--;
    }
  });
  const chunk = randomBytes(MiB);
  let acceptedDuringUpload = 0;
  const stream = (parts: number) => Readable.from((function* () {
    for (let i = 0; i < parts * 5; i++) {
      if (uploading) acceptedDuringUpload++;
      yield chunk;
    }
  })());
  const w = await d.writer('/overlap');
  await w.write(stream(4));
  await w.commit();
  expect(most).toBe(1);
  expect(acceptedDuringUpload).toBeGreaterThan(0);
  expect((await d.stat('/overlap')).size).toBe(20 * MiB);

  calls = 0;
  failCall.at = 2;
  const failing = await d.writer('/refused');
  await failing.write(Buffer.from('kept-'));
  await failing.close(); // a stored state: 5 bytes in a tail
  const more = await d.writer('/refused', { append: true });
  await expect(more.write(stream(3)).then(() => more.close())).rejects.toBeInstanceOf(StorageUnavailableError);
  const after = await d.writer('/refused', { append: true });
  expect(after.size).toBe(5);
  await after.cancel();
  await d.delete('/refused'); // aborts the multipart upload the failed writer left
  await d.delete('/overlap');
  await d.close();
});

test('two writers appending to one file at once: the later close fails instead of undoing the other', async () => {
  const a = driver();
  const b = driver();
  const w = await a.writer('/contended');
  await w.write(Buffer.from('base-'));
  await w.close();
  const first = await a.writer('/contended', { append: true });
  const second = await b.writer('/contended', { append: true });
  await first.write(Buffer.from('first'));
  await second.write(Buffer.from('second'));
  await first.close();
  await expect(second.close()).rejects.toThrow('changed by another writer');
  const resumed = await b.writer('/contended', { append: true });
  await resumed.commit();
  expect((await b.getContent('/contended')).toString()).toBe('base-first');
  await a.delete('/contended');
  await Promise.all([a.close(), b.close()]);
});

test('a commit that failed after completing the upload can be retried', async () => {
  const d = driver();
  const bytes = randomBytes(6 * MiB + 1);
  const w = await d.writer('/retried');
  await w.write(bytes);
  await w.close();
  // The store fails right after CompleteMultipartUpload, before the state is cleaned up.
  // eslint-disable-next-line require-yield -- list() is an async generator; this one fails before its first entry
  jest.spyOn(S3Bucket.prototype, 'list').mockImplementationOnce(async function* () {
    throw new StorageUnavailableError('s3', 'store went away');
  });
  await expect((await d.writer('/retried', { append: true })).commit()).rejects.toBeInstanceOf(StorageUnavailableError);
  jest.restoreAllMocks();
  const retry = await d.writer('/retried', { append: true });
  expect(retry.size).toBe(bytes.length);
  await retry.commit();
  expect((await d.getContent('/retried')).equals(bytes)).toBe(true);
  expect(await keysUnder(`${prefix}/retried~/`)).toEqual([]);
  await d.delete('/retried');
  await d.close();
});
