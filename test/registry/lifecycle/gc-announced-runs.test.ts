// Writers touch GC markers only while a collection run is announced in the index
// (gc/collector.ts, "Writers touch only while a run is announced"). A run announces
// itself, then waits for the manifest writes that may have asked before it did; a
// run whose process died leaves an announcement that the next run clears; a run
// whose announcement is gone stops before it condemns anything.
import type { GarbageCollector } from '../../../registry/src/gc/collector.js';
import { parseManifest } from '../../../registry/src/manifest/parse.js';
import { digestOf, parseDigest } from '../../../registry/src/reference.js';
import { GcWriterProtocol } from '../../../registry/src/write/gc-protocol.js';
import type { IndexWriter } from '../../../registry/src/write/index-writer.js';
import type { InProcessRegistry } from '../../harness/in-process-registry.js';
import { ociImage, randomBlob, randomImage, type Blob } from '../../harness/oci-client.js';
import { sleep } from './admin.js';
import { startCollectionFixture } from './collection-fixture.js';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
let reg: InProcessRegistry;
let collector: GarbageCollector;
let indexWriter: IndexWriter;

beforeAll(async () => {
  ({ reg, collector, indexWriter } = await startCollectionFixture());
});
afterAll(() => reg.stop());

const markerOf = (digest: string) => reg.running.services.storage.gc.markers.read(parseDigest(digest)!);

/** A write's steps up to its storage commit, as ManifestWrites.put takes them, with its journal entry opened at `openedAt`. */
async function writeToStorage(repo: string, operation: string, openedAt: number): Promise<{ intent: number; digest: string; body: Buffer; blobs: Blob[] }> {
  const { index, storage } = reg.running.services;
  const intent = await index.openIntent(repo, operation, openedAt);
  expect((await indexWriter.gcRuns()).running).toBe(false); // asked after the entry opened: no run, so no touch
  const blobs = [randomBlob(64), randomBlob(512)];
  for (const b of blobs) expect((await reg.client.uploadBlob(repo, b)).status).toBe(201);
  const body = ociImage(blobs[0], blobs.slice(1)).manifest.content;
  await storage.manifests.commit(repo, digestOf(body, 'sha256'), body, parseManifest(body, OCI_MANIFEST), ['v1']);
  return { intent, digest: digestOf(body, 'sha256').value, body, blobs };
}

async function indexWrite(w: { intent: number; body: Buffer }, repo: string): Promise<void> {
  await indexWriter.manifestPut(w.intent, repo, digestOf(w.body, 'sha256'), OCI_MANIFEST, w.body, ['v1'], { subject: 'test' });
}

test('with no run announced a manifest push writes no marker for it; while one is, it does', async () => {
  const { index } = reg.running.services;
  const quiet = await reg.client.pushImage('announce/app', 'quiet', randomImage());
  expect(await markerOf(quiet.digest)).toBeUndefined();
  const run = await index.announceGcRun();
  try {
    const busy = await reg.client.pushImage('announce/app', 'busy', randomImage());
    expect(await markerOf(busy.digest)).toBeDefined();
  } finally {
    await index.endGcRun(run);
  }
});

test('when the index cannot say whether a run is announced, the push touches', async () => {
  const { index } = reg.running.services;
  const original = index.gcRunState.bind(index);
  index.gcRunState = () => Promise.reject(new Error('database down'));
  try {
    const img = await reg.client.pushImage('announce/failsafe', 'v1', randomImage());
    expect(await markerOf(img.digest)).toBeDefined();
  } finally {
    index.gcRunState = original;
  }
});

test('a run waits for a manifest write that saw no run, whatever the writer\'s clock; its content stays', async () => {
  const repo = 'announce/waited';
  // Opened by a replica whose clock is a minute ahead: no cutoff comparison would wait for it.
  const w = await writeToStorage(repo, 'manifest-put', Date.now() + 60_000);
  await sleep(50); // the blobs are older than the cutoff (grace 0)
  const run = collector.collect({ gracePeriodMs: 0, dryRun: false, deleteUntagged: false });
  await sleep(300);
  expect((await reg.running.services.index.gcRunState()).running).toBe(true);
  await indexWrite(w, repo);
  const report = await run;
  expect(report.aborted).toBe(false);
  expect(report.durationSeconds).toBeGreaterThanOrEqual(0.3);
  expect(await reg.client.missingContent(repo, w.digest, w.blobs)).toEqual([]);
  expect((await reg.running.services.index.gcRunState()).running).toBe(false);
});

test('a tag PUT of a known untagged manifest that saw no run leaves its link as it is; a run announced meanwhile waits and keeps it', async () => {
  const repo = 'announce/retag';
  const { index, storage } = reg.running.services;
  const untagged = async () => {
    const img = await reg.client.pushImage(repo, 'old', randomImage());
    expect((await fetch(`${reg.url}/v2/${repo}/manifests/old`, { method: 'DELETE' })).status).toBe(202);
    const digest = parseDigest(img.digest)!;
    const body = await storage.manifests.body(digest);
    return { img, digest, body, parsed: parseManifest(body, OCI_MANIFEST), linkedAt: (await storage.manifests.meta(repo, digest))?.pushedAt };
  };
  const kept = await untagged();
  const control = await untagged(); // no write names it: the same run takes it
  await sleep(50); // both are older than the cutoff (grace 0)
  // ManifestWrites.put's steps: the journal entry, then the protocol, which reads the run state and the index.
  const intent = await index.openIntent(repo, 'manifest-put');
  const protocol = new GcWriterProtocol(storage, indexWriter, indexWriter);
  expect(await protocol.beforeManifestPut(repo, kept.digest, kept.parsed)).toBe(true);
  const run = collector.collect({ gracePeriodMs: 0, dryRun: false, deleteUntagged: true });
  await sleep(300);
  expect((await index.gcRunState()).running).toBe(true);
  // While a run is announced a push writes its link again (a tagged image elsewhere: the touch would keep `control`).
  const tagged = await reg.client.pushImage('announce/retag-other', 'v1', randomImage());
  expect(await protocol.beforeManifestPut('announce/retag-other', parseDigest(tagged.digest)!, parseManifest(tagged.manifest.content, OCI_MANIFEST))).toBe(false);
  await storage.manifests.commit(repo, kept.digest, kept.body, kept.parsed, ['new'], true);
  await indexWriter.manifestPut(intent, repo, kept.digest, OCI_MANIFEST, kept.body, ['new'], { subject: 'test' });
  const report = await run;
  expect(report.aborted).toBe(false);
  expect((await storage.manifests.meta(repo, kept.digest))?.pushedAt).toBe(kept.linkedAt);
  expect(await reg.client.missingContent(repo, kept.img.digest, [kept.img.config, ...kept.img.layers])).toEqual([]);
  expect((await reg.client.getManifest(repo, 'new')).status).toBe(200);
  expect(await storage.manifests.isLinked(repo, control.digest)).toBe(false);
});

test('control: a write of an operation the run does not wait for, without markers, loses its blobs', async () => {
  const repo = 'announce/unwaited';
  const w = await writeToStorage(repo, 'blob-link', Date.now() + 60_000);
  await sleep(50);
  const report = await collector.collect({ gracePeriodMs: 0, dryRun: false, deleteUntagged: false });
  expect(report.blobsDeleted).toBeGreaterThanOrEqual(2);
  const missing = await reg.client.missingContent(repo, w.digest, w.blobs);
  expect(missing.filter((p) => p.startsWith('blob ')).length).toBe(2);
  await reg.running.services.index.closeIntent(w.intent);
});

test('such a write that never reaches the index aborts the run before anything is deleted', async () => {
  const repo = 'announce/dead';
  const w = await writeToStorage(repo, 'tag-restore', Date.now() + 60_000);
  await sleep(50);
  const report = await collector.collect({ gracePeriodMs: 0, dryRun: false, deleteUntagged: false, intentWaitMs: 200 });
  expect(report.aborted).toBe(true);
  expect(report.blobsDeleted).toBe(0);
  expect(await reg.client.missingContent(repo, w.digest, w.blobs)).toEqual([]);
  await indexWrite(w, repo);
});

test('a dead run\'s announcement is cleared by the next run once silent for 10 minutes, not before', async () => {
  const { index } = reg.running.services;
  const recent = await index.announceGcRun(Date.now() - 60_000);
  const dead = await index.announceGcRun(Date.now() - 11 * 60_000);
  const report = await collector.collect({ gracePeriodMs: 0, dryRun: false, deleteUntagged: false });
  expect(report.aborted).toBe(false);
  expect(await index.gcRunAnnounced(dead)).toBe(false);
  expect(await index.gcRunAnnounced(recent)).toBe(true);
  await index.endGcRun(recent);
  expect((await index.gcRunState()).running).toBe(false);
});

test('a run whose announcement was cleared stops before it condemns anything', async () => {
  const { index, storage } = reg.running.services;
  const garbage = randomBlob(300);
  expect((await reg.client.uploadBlob('announce/cleared', garbage)).status).toBe(201);
  expect((await fetch(`${reg.url}/v2/announce/cleared/blobs/${garbage.digest}`, { method: 'DELETE' })).status).toBe(202);
  // Hold the run in its wait, clear every announcement (as a later run does for silent ones), then let it go.
  const held = await index.openIntent('announce/cleared', 'manifest-put');
  await sleep(50);
  const run = collector.collect({ gracePeriodMs: 0, dryRun: false, deleteUntagged: false });
  await sleep(200);
  expect(await index.clearSilentGcRuns(Date.now() + 1_000)).toBe(1);
  await index.closeIntent(held);
  const report = await run;
  expect(report.aborted).toBe(true);
  expect(report.blobsDeleted).toBe(0);
  expect(await storage.blobs.exists(parseDigest(garbage.digest)!)).toBe(true);
});
