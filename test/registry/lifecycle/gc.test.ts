// Garbage collection, the classic cases: multi-arch index children, referrers of
// deleted subjects, untagged manifests (kept unless gc.deleteUntagged), abandoned
// uploads and unreferenced blobs, the grace period, dry runs, the lease, recovery of
// a quarantine left by an interrupted run, and the metrics.
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { startInProcessRegistry, type InProcessRegistry } from '../../harness/in-process-registry.js';
import { OCI_INDEX, indexManifest, ociImage, randomBlob, type Image } from '../../harness/oci-client.js';
import { runGc } from './admin.js';

let keep: InProcessRegistry; // default: untagged manifests stay
let strict: InProcessRegistry; // gc.deleteUntagged
beforeAll(async () => {
  keep = await startInProcessRegistry({ gc: { gracePeriodSeconds: 0 } });
  strict = await startInProcessRegistry({ gc: { gracePeriodSeconds: 0, deleteUntagged: true } });
});
afterAll(async () => {
  await keep.stop();
  await strict.stop();
});

const blobFile = (reg: InProcessRegistry, digest: string) => {
  const hex = digest.slice('sha256:'.length);
  return join(reg.dataDir, 'blobs', 'sha256', hex.slice(0, 2), hex);
};

async function del(reg: InProcessRegistry, repo: string, reference: string): Promise<number> {
  return (await reg.client.call('DELETE', `/v2/${repo}/manifests/${reference}`)).status;
}

describe('multi-arch images', () => {
  test('index children stay while the index is tagged, and go with it', async () => {
    const repo = 'multi/arch';
    const children: Image[] = [];
    for (let i = 0; i < 2; i++) children.push(await strict.client.pushImage(repo, undefined, ociImage(randomBlob(32), [randomBlob(256)])));
    const blobsOf = (c: Image) => [c.config, ...c.layers];
    const index = indexManifest(children);
    expect((await strict.client.putManifest(repo, 'latest', index, OCI_INDEX)).status).toBe(201);

    const first = await runGc(strict.url);
    expect(first.report.manifestsDeleted).toEqual([]);
    for (const c of children) expect(await strict.client.missingContent(repo, c.digest, blobsOf(c))).toEqual([]);

    expect(await del(strict, repo, index.digest)).toBe(202);
    const second = await runGc(strict.url);
    expect(second.report.manifestsDeleted.map((m) => m.digest).sort()).toEqual(children.map((c) => c.digest).sort());
    for (const c of children) {
      for (const b of blobsOf(c)) expect(await strict.client.blobStatus(repo, b.digest)).toBe(404);
    }
  });
});

describe('referrers', () => {
  test('a referrer of a deleted subject is garbage; a referrer of a live subject stays', async () => {
    const repo = 'refs/app';
    const subject = await keep.client.pushImage(repo, 'v1', ociImage(randomBlob(32), [randomBlob(128)]));
    const doomed = await keep.client.pushImage(repo, 'v2', ociImage(randomBlob(32), [randomBlob(128)]));
    const sigFor = async (s: Image) => {
      const config = randomBlob(16);
      const layer = randomBlob(64);
      const pushed = await keep.client.pushImage(repo, undefined, ociImage(config, [layer], {
        artifactType: 'application/vnd.dev.berth.signature',
        subject: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: s.digest, size: s.manifest.content.length },
      }));
      return { ...pushed, blobs: [config, layer] };
    };
    const liveSig = await sigFor(subject);
    const deadSig = await sigFor(doomed);
    expect(await del(keep, repo, doomed.digest)).toBe(202);

    const { report } = await runGc(keep.url);
    expect(report.manifestsDeleted).toEqual([{ repository: repo, digest: deadSig.digest, reason: 'subject-deleted' }]);
    expect(await keep.client.missingContent(repo, liveSig.digest, liveSig.blobs)).toEqual([]);
    for (const b of deadSig.blobs) expect(await keep.client.blobStatus(repo, b.digest)).toBe(404);
    const referrers = await (await fetch(`${keep.url}/v2/${repo}/referrers/${subject.digest}`)).json() as { manifests: { digest: string }[] };
    expect(referrers.manifests.map((m) => m.digest)).toEqual([liveSig.digest]);
    const gone = await (await fetch(`${keep.url}/v2/${repo}/referrers/${doomed.digest}`)).json() as { manifests: unknown[] };
    expect(gone.manifests).toEqual([]);
  });
});

describe('untagged manifests', () => {
  test('are kept by default and collected with gc.deleteUntagged', async () => {
    for (const [reg, collected] of [[keep, false], [strict, true]] as const) {
      const repo = 'untagged/app';
      const oldBlobs = [randomBlob(32), randomBlob(200)];
      const old = await reg.client.pushImage(repo, 'latest', ociImage(oldBlobs[0], [oldBlobs[1]]));
      const current = await reg.client.pushImage(repo, 'latest', ociImage(randomBlob(32), [randomBlob(200)])); // moves the tag
      const { report } = await runGc(reg.url);
      const deleted = report.manifestsDeleted.filter((m) => m.repository === repo).map((m) => m.digest);
      expect(deleted).toEqual(collected ? [old.digest] : []);
      expect(await reg.client.missingContent(repo, current.digest, [])).toEqual([]);
      if (collected) {
        for (const b of oldBlobs) expect(await reg.client.blobStatus(repo, b.digest)).toBe(404);
      } else {
        expect(await reg.client.missingContent(repo, old.digest, oldBlobs)).toEqual([]);
      }
    }
  });
});

describe('uploads and unreferenced blobs', () => {
  test('an abandoned upload stays resumable; an unreferenced blob goes once past the grace period', async () => {
    const repo = 'abandoned/app';
    const start = await fetch(`${keep.url}/v2/${repo}/blobs/uploads/`, { method: 'POST' });
    const location = start.headers.get('location')!;
    const patch = await fetch(`${keep.url}${location}`, { method: 'PATCH', body: Buffer.alloc(100, 1), headers: { 'Content-Type': 'application/octet-stream' } });
    expect(patch.status).toBe(202);
    const orphan = randomBlob(300);
    expect((await keep.client.uploadBlob(repo, orphan)).status).toBe(201);

    const { report } = await runGc(keep.url);
    expect(report.bytesFreed).toBeGreaterThanOrEqual(300);
    expect(await keep.client.blobStatus(repo, orphan.digest)).toBe(404);
    const status = await fetch(`${keep.url}${location}`);
    expect({ status: status.status, range: status.headers.get('range') }).toEqual({ status: 204, range: '0-99' });
  });

  test('blobs younger than the grace period are never swept', async () => {
    const patient = await startInProcessRegistry({ gc: { gracePeriodSeconds: 3600, deleteUntagged: true } });
    try {
      const orphan = randomBlob(300);
      expect((await patient.client.uploadBlob('fresh/app', orphan)).status).toBe(201);
      const { report } = await runGc(patient.url);
      expect({ blobs: report.blobsDeleted, links: report.layerLinksDeleted }).toEqual({ blobs: 0, links: 0 });
      expect(await patient.client.blobStatus('fresh/app', orphan.digest)).toBe(200);
    } finally {
      await patient.stop();
    }
  });
});

describe('runs', () => {
  test('a dry run reports what a real run then deletes', async () => {
    const repo = 'dry/app';
    const orphan = randomBlob(500);
    expect((await keep.client.uploadBlob(repo, orphan)).status).toBe(201);
    const dry = await runGc(keep.url, true);
    expect(dry.report.dryRun).toBe(true);
    expect(dry.report.blobsDeleted).toBeGreaterThanOrEqual(1);
    expect(await keep.client.blobStatus(repo, orphan.digest)).toBe(200);
    const real = await runGc(keep.url);
    expect(real.report.blobsDeleted).toBe(dry.report.blobsDeleted);
    expect(real.report.bytesFreed).toBe(dry.report.bytesFreed);
    expect(await keep.client.blobStatus(repo, orphan.digest)).toBe(404);
  });

  test('only the lease holder collects: a live foreign lease answers 409, an expired one is taken over', async () => {
    const lock = join(keep.dataDir, '_gc', 'lock');
    await mkdir(dirname(lock), { recursive: true });
    await writeFile(lock, JSON.stringify({ owner: 'other-replica', expiresAt: Date.now() + 60_000 }));
    const busy = await fetch(`${keep.url}/admin/gc`, { method: 'POST' });
    expect({ status: busy.status, body: await busy.json() }).toEqual({ status: 409, body: { status: 'busy', holder: 'other-replica' } });
    await writeFile(lock, JSON.stringify({ owner: 'other-replica', expiresAt: Date.now() - 1 }));
    expect((await runGc(keep.url)).status).toBe('done');
  });

  test('a blob left in quarantine by an interrupted run is put back', async () => {
    const repo = 'crash/app';
    const config = randomBlob(32);
    const layer = randomBlob(400);
    const image = await keep.client.pushImage(repo, 'v1', ociImage(config, [layer]));
    const hex = layer.digest.slice('sha256:'.length);
    await mkdir(join(keep.dataDir, '_gc', 'quarantine'), { recursive: true });
    await rename(blobFile(keep, layer.digest), join(keep.dataDir, '_gc', 'quarantine', `sha256-${hex}`));
    const { report } = await runGc(keep.url);
    expect(report.recovered).toBe(1);
    expect(await keep.client.missingContent(repo, image.digest, [config, layer])).toEqual([]);
  });

  test('GC metrics: runs, duration, bytes and objects freed', async () => {
    expect((await keep.client.uploadBlob('metrics/app', randomBlob(700))).status).toBe(201);
    await runGc(keep.url);
    const text = await (await fetch(`${keep.url}/metrics`)).text();
    expect(text).toMatch(/^berth_gc_runs_total\{result="success"\} [1-9]/m);
    expect(text).toMatch(/^berth_gc_runs_total\{result="busy"\} 1$/m);
    expect(text).toMatch(/^berth_gc_duration_seconds_count\{dry_run="false"\} [1-9]/m);
    expect(text).toMatch(/^berth_gc_freed_bytes_total [1-9]/m);
    expect(text).toMatch(/^berth_gc_freed_objects_total\{kind="blob"\} [1-9]/m);
  });
});
