// A push that stalls between its GC touch and its index write for longer than the
// grace period (a loaded machine, a slow database): the collector's mark reads the
// index, which does not have the manifest yet, and the touch is older than the
// cutoff. The write's journal entry, opened before the touch, makes the mark wait
// for it. Without an entry (the control), the same interleaving loses the blobs,
// which shows what the wait prevents; an entry that never closes aborts the run.
// And a storage failure on one blob (a transient S3 500) skips only that blob.
import type { GarbageCollector } from '../../../registry/src/gc/collector.js';
import { parseManifest } from '../../../registry/src/manifest/parse.js';
import { digestOf } from '../../../registry/src/reference.js';
import { StorageUnavailableError } from '../../../registry/src/storage/registry-storage.js';
import type { IndexWriter } from '../../../registry/src/write/index-writer.js';
import type { InProcessRegistry } from '../../harness/in-process-registry.js';
import { ociImage, randomBlob, type Blob } from '../../harness/oci-client.js';
import { sleep } from './admin.js';
import { startCollectionFixture } from './collection-fixture.js';

let reg: InProcessRegistry;
let collector: GarbageCollector;
let indexWriter: IndexWriter;

beforeAll(async () => {
  ({ reg, collector, indexWriter } = await startCollectionFixture());
});
afterAll(() => reg.stop());

/** Uploads an image's blobs, then commits its manifest to storage only, as a push does before its index write. */
async function pushToStorageOnly(repo: string): Promise<{ digest: string; body: Buffer; blobs: Blob[] }> {
  const blobs = [randomBlob(64), randomBlob(512)];
  for (const b of blobs) expect((await reg.client.uploadBlob(repo, b)).status).toBe(201);
  const { manifest } = ociImage(blobs[0], blobs.slice(1));
  const body = manifest.content;
  const parsed = parseManifest(body, 'application/vnd.oci.image.manifest.v1+json');
  await reg.running.services.storage.manifests.commit(repo, digestOf(body, 'sha256'), body, parsed, ['v1']);
  return { digest: manifest.digest, body, blobs };
}

async function indexWrite(intent: number, repo: string, digest: string, body: Buffer): Promise<void> {
  const d = digestOf(body, 'sha256');
  expect(d.value).toBe(digest);
  await indexWriter.manifestPut(intent, repo, d, 'application/vnd.oci.image.manifest.v1+json', body, ['v1'], { subject: 'test' });
}

test('the mark waits for a write whose journal entry is older than the cutoff; its content stays', async () => {
  const repo = 'slow/guarded';
  const intent = await indexWriter.begin(repo, 'manifest-put');
  const pushed = await pushToStorageOnly(repo);
  await sleep(50); // the touch and the blobs are now older than the cutoff (grace 0)
  const run = collector.collect({ gracePeriodMs: 0, dryRun: false, deleteUntagged: false });
  await sleep(300);
  await indexWrite(intent, repo, pushed.digest, pushed.body);
  const report = await run;
  expect(report.aborted).toBe(false);
  expect(report.durationSeconds).toBeGreaterThanOrEqual(0.3);
  expect(await reg.client.missingContent(repo, pushed.digest, pushed.blobs)).toEqual([]);
});

test('control: without a journal entry the same interleaving loses the blobs', async () => {
  const repo = 'slow/unguarded';
  const pushed = await pushToStorageOnly(repo);
  await sleep(50);
  const report = await collector.collect({ gracePeriodMs: 0, dryRun: false, deleteUntagged: false });
  expect(report.blobsDeleted).toBeGreaterThanOrEqual(2);
  const missing = await reg.client.missingContent(repo, pushed.digest, pushed.blobs);
  expect(missing.filter((p) => p.startsWith('blob ')).length).toBe(2);
});

test('an entry older than the cutoff that never closes aborts the run before anything is deleted', async () => {
  const repo = 'slow/dead';
  const intent = await indexWriter.begin(repo, 'manifest-put');
  const pushed = await pushToStorageOnly(repo);
  await sleep(50);
  const report = await collector.collect({ gracePeriodMs: 0, dryRun: false, deleteUntagged: false, intentWaitMs: 200 });
  expect(report.aborted).toBe(true);
  expect(report.blobsDeleted).toBe(0);
  expect(await reg.client.missingContent(repo, pushed.digest, pushed.blobs)).toEqual([]);
  await indexWrite(intent, repo, pushed.digest, pushed.body);
});

test('a storage failure on one blob leaves it for the next run; the run finishes and sweeps the rest', async () => {
  const { storage } = reg.running.services;
  const repo = 'faulty/app';
  const blobs = [randomBlob(100), randomBlob(101), randomBlob(102)];
  for (const b of blobs) expect((await reg.client.uploadBlob(repo, b)).status).toBe(201);
  await sleep(50);
  const original = storage.gc.blobInfo.bind(storage.gc);
  storage.gc.blobInfo = async (d) => {
    if (d.value === blobs[0].digest) throw new StorageUnavailableError('s3', 'object store unavailable: Retryable HTTP status: 500');
    return original(d);
  };
  let first;
  try {
    first = await collector.collect({ gracePeriodMs: 0, dryRun: false, deleteUntagged: false });
  } finally {
    storage.gc.blobInfo = original;
  }
  expect(first.aborted).toBe(false);
  expect(first.skipped).toBe(1);
  expect(await storage.blobs.exists(digestOf(blobs[0].content, 'sha256'))).toBe(true);
  for (const b of blobs.slice(1)) expect(await storage.blobs.exists(digestOf(b.content, 'sha256'))).toBe(false);
  const second = await collector.collect({ gracePeriodMs: 0, dryRun: false, deleteUntagged: false });
  expect(second.skipped).toBe(0);
  expect(await storage.blobs.exists(digestOf(blobs[0].content, 'sha256'))).toBe(false);
});

test('the repositories come from the index, and one whose first write has not reached it yet is waited for', async () => {
  const { index } = reg.running.services;
  const repo = 'slow/unlisted';
  const intent = await indexWriter.begin(repo, 'manifest-put');
  expect(await index.repositoryStatus(repo)).toBeUndefined();
  await sleep(50);
  const report = await collector.collect({ gracePeriodMs: 0, dryRun: true, deleteUntagged: false, intentWaitMs: 200 });
  expect(report.aborted).toBe(true); // waited for the open entry of a repository the index does not list
  await index.closeIntent(intent);
  const after = await collector.collect({ gracePeriodMs: 0, dryRun: true, deleteUntagged: false });
  expect(after.aborted).toBe(false);
  expect(after.repositories).toBe((await index.catalog({ n: 10_000 })).items.length);
});
