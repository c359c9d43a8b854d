// Two registry replicas on one storage, each with its own caches, and two
// collectors sweeping at the same time without the lease (the residual race the
// lease cannot exclude): pushes check blobs on one replica and commit on the other,
// re-referencing blobs that became garbage. Every accepted manifest must stay
// pullable through both replicas. Bounded: at most 400 rounds and 20 s of pushing.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GarbageCollector } from '../../../registry/src/gc/collector.js';
import { createLogger } from '../../../registry/src/log.js';
import { startInProcessRegistry, type InProcessRegistry } from '../../harness/in-process-registry.js';
import { ociImage, randomBlob, type Blob } from '../../harness/oci-client.js';
import { sleep } from './admin.js';

const REPO = 'replicas/app';
const MAX_ROUNDS = 400;
const MAX_PUSH_MS = 20_000;

let root: string;
let a: InProcessRegistry;
let b: InProcessRegistry;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'berth-replicas-'));
  a = await startInProcessRegistry({ storage: { filesystem: { root } } });
  b = await startInProcessRegistry({ storage: { filesystem: { root } } });
});
afterAll(async () => {
  await a.stop();
  await b.stop();
  await rm(root, { recursive: true, force: true });
});

test('two replicas, two unleased collectors, concurrent pushes: nothing accepted is lost', async () => {
  const pool = Array.from({ length: 16 }, () => randomBlob(256));
  for (const blob of pool) expect((await a.client.uploadBlob(REPO, blob)).status).toBe(201);
  await sleep(300);

  const stats = { rounds: 0, retries: 0, sweeps: 0, blobsDeleted: 0, restored: 0 };
  const live: { digest: string; blobs: Blob[] }[] = [];
  let pushing = true;
  const collectors = [a, b].map(({ running: { services } }) =>
    new GarbageCollector(services.storage, services.index, createLogger('silent'), services.metrics, services.writes.collection));
  const sweepers = collectors.map(async (collector) => {
    while (pushing) {
      const report = await collector.collect({ gracePeriodMs: 200, dryRun: false, deleteUntagged: false });
      stats.sweeps++;
      stats.blobsDeleted += report.blobsDeleted;
      stats.restored += report.restored;
      await sleep(10);
    }
  });

  const deadline = Date.now() + MAX_PUSH_MS;
  const worker = async (w: number) => {
    while (stats.rounds < MAX_ROUNDS && Date.now() < deadline) {
      const round = stats.rounds++;
      const [check, commit] = round % 2 === 0 ? [a, b] : [b, a];
      const blobs = [randomBlob(32), pool[(round * 5 + w) % pool.length], pool[(round * 11 + 3) % pool.length]];
      const { manifest } = ociImage(blobs[0], blobs.slice(1), { annotations: { round: String(round) } });
      let accepted = false;
      let lastRefusal = "";
      for (let attempt = 0; attempt < 10 && !accepted; attempt++) {
        for (const blob of blobs) {
          if ((await check.client.blobStatus(REPO, blob.digest)) !== 200) {
            // 400 BLOB_UPLOAD_INVALID: the blob was collected while it was being linked; the PUT below is refused and retried.
            const { status } = await check.client.uploadBlob(REPO, blob);
            if (status !== 201 && status !== 400) throw new Error(`upload answered ${status}`);
          }
        }
        const { status, text } = await commit.client.putManifest(REPO, `r${round}`, manifest);
        if (status === 201) accepted = true;
        else if (status === 400 && text.includes("MANIFEST_BLOB_UNKNOWN")) { stats.retries++; lastRefusal = `${text} blobs=${blobs.map((x) => x.digest).join(",")}`; }
        else throw new Error(`manifest push answered ${status}: ${text}`);
      }
      if (!accepted) throw new Error(`round ${round} refused 10 times: ${lastRefusal}`);
      live.push({ digest: manifest.digest, blobs });
      if (live.length > 8) {
        const victim = live.splice((round * 7) % live.length, 1)[0];
        const res = await fetch(`${check.url}/v2/${REPO}/manifests/${victim.digest}`, { method: 'DELETE' });
        await res.arrayBuffer();
        expect(res.status).toBe(202);
      }
    }
  };
  try {
    await Promise.all([0, 1, 2].map(worker));
  } finally {
    pushing = false;
    await Promise.all(sweepers);
  }

  const problems: string[] = [];
  for (const reg of [a, b]) for (const p of live) problems.push(...(await reg.client.missingContent(REPO, p.digest, p.blobs)));
  process.stdout.write(`GC replicas: ${JSON.stringify({ ...stats, live: live.length, problems: problems.length })}\n`);
  expect(problems.slice(0, 8)).toEqual([]);
  expect(stats.sweeps).toBeGreaterThanOrEqual(4);
  expect(stats.blobsDeleted).toBeGreaterThan(0);
});
