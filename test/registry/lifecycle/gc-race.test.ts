// The online GC race: pushes that re-reference old, unreferenced blobs (and blobs
// whose manifests were just deleted) while garbage collection sweeps concurrently
// with a short grace period. A push may be refused and retried, like a real client
// would; a manifest that was accepted must stay fully pullable, and no blob of a
// live manifest may be lost. On the filesystem and on S3 (versitygw). Bounded: at
// most 1,000 rounds and 40 s of pushing (25 s on S3), stretched to at most twice
// that on a slow machine until the minimum round count is reached.
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RegistryConfigInput } from '#contract/config/schema.js';
import { startS3Server, type S3Server } from '../../harness/s3-server.js';
import { startInProcessRegistry, type InProcessRegistry } from '../../harness/in-process-registry.js';
import { ociImage, randomBlob, type Blob } from '../../harness/oci-client.js';
import { runGc, sleep, type GcResponse } from './admin.js';

const REPO = 'race/app';
const MAX_ROUNDS = 1000;
const WORKERS = 4;
const POOL = 24;

interface Pushed {
  readonly digest: string;
  readonly blobs: Blob[];
}

let reg: InProcessRegistry;
/** The registry's warnings and errors, to explain an answer no client expects. */
let logFile: string;
const serverLog = () => { try { return readFileSync(logFile, 'utf8').split('\n').slice(-20).join('\n'); } catch { return '(no log)'; } };

/** Uploads a blob in one request; returns the status, throwing with the body when it is none a client handles. */
async function upload(b: Blob): Promise<number> {
  const res = await reg.client.uploadBlob(REPO, b);
  // 400 BLOB_UPLOAD_INVALID: the blob was collected while it was being linked; the manifest PUT is refused and retried.
  // 503: the store timed out (Retry-After); likewise.
  if (res.status !== 201 && res.status !== 400 && res.status !== 503) throw new Error(`upload answered ${res.status}: ${res.text}\nregistry log:\n${serverLog()}`);
  if (res.status === 503) await sleep(200);
  return res.status;
}

/** What a client does: HEAD each blob, upload the missing ones, then PUT the manifest; retries a refused PUT after a pause. */
async function clientPush(tag: string, blobs: Blob[], stats: { retries: number }): Promise<Pushed> {
  const { manifest } = ociImage(blobs[0], blobs.slice(1), { annotations: { 'dev.berth.test.tag': tag } }); // unique per push
  for (let attempt = 0; attempt < 10; attempt++) {
    for (const b of blobs) {
      if ((await reg.client.blobStatus(REPO, b.digest)) !== 200) await upload(b);
    }
    const res = await reg.client.putManifest(REPO, tag, manifest);
      if (res.status === 201) return { digest: manifest.digest, blobs };
    if (res.status === 503) {
      stats.retries++;
      await sleep(200);
      continue;
    }
    if (res.status !== 400 || !res.text.includes('MANIFEST_BLOB_UNKNOWN')) throw new Error(`manifest push answered ${res.status}: ${res.text}\nregistry log:\n${serverLog()}`);
    stats.retries++;
  }
  throw new Error('manifest push refused 10 times');
}

describe.each([
  // S3 pushes are HTTP round trips to the store: fewer rounds fit, and fewer are required.
  { driver: 'filesystem', maxPushMs: 40_000, minRounds: 100 },
  { driver: 's3', maxPushMs: 25_000, minRounds: 25 },
])('on $driver', ({ driver, maxPushMs, minRounds }) => {
  let s3: S3Server | undefined;
  beforeAll(async () => {
    let storage: RegistryConfigInput['storage'];
    if (driver === 's3') {
      s3 = await startS3Server();
      storage = { s3: { endpoint: s3.endpoint, bucket: s3.bucket, accessKey: s3.accessKey, secretKey: s3.secretKey, prefix: 'gc-race' } };
    }
    logFile = join(tmpdir(), `berth-gc-race-${driver}-${process.pid}.log`);
    process.env.BERTH_TEST_LOG_FILE = logFile;
    reg = await startInProcessRegistry({ gc: { gracePeriodSeconds: 0.3, leaseSeconds: 10 }, ...(storage ? { storage } : {}) });
  });
  afterAll(async () => {
    delete process.env.BERTH_TEST_LOG_FILE;
    await reg.stop();
    await s3?.stop();
  });

  const timeoutMs = 2 * maxPushMs + 60_000;
  test('concurrent pushes re-referencing unreferenced blobs while GC sweeps: every accepted manifest stays pullable', async () => {
    const pool = Array.from({ length: POOL }, () => randomBlob(512));
    for (const b of pool) expect((await reg.client.uploadBlob(REPO, b)).status).toBe(201);
    await sleep(400); // the whole pool is now older than the grace period and unreferenced

    const live: Pushed[] = [];
    const stats = { rounds: 0, retries: 0, deletes: 0, gcRuns: 0, gcUnavailable: 0, blobsDeleted: 0, linksDeleted: 0, restored: 0, gcSeconds: 0 };
    // Push for maxPushMs, but on a slow (loaded) machine keep going until minRounds
    // are done, up to a hard cap: the round count is a coverage floor, not a speed check.
    const deadline = Date.now() + maxPushMs;
    const hardDeadline = Date.now() + 2 * maxPushMs;
    let pushing = true;

    const gcLoop = (async () => {
      while (pushing) {
        const res = await fetch(`${reg.url}/admin/gc`, { method: 'POST' });
        if (res.status === 503) { // the store was slow (Retry-After); the next run recovers what this one left in quarantine
          await res.arrayBuffer();
          stats.gcUnavailable++;
          await sleep(500);
          continue;
        }
        if (res.status !== 200) throw new Error(`GC answered ${res.status}: ${await res.text()}\nregistry log:\n${serverLog()}`);
        const { report } = (await res.json()) as GcResponse;
        stats.gcRuns++;
        stats.blobsDeleted += report.blobsDeleted;
        stats.linksDeleted += report.layerLinksDeleted;
        stats.restored += report.restored;
        stats.gcSeconds += report.durationSeconds;
        await sleep(20);
      }
    })();

    const worker = async (w: number) => {
      let n = 0;
      while (stats.rounds < MAX_ROUNDS && Date.now() < hardDeadline && (Date.now() < deadline || stats.rounds < minRounds)) {
        const round = stats.rounds++;
        const layers = [pool[(round * 7 + w) % POOL], pool[(round * 13 + 5 * w + 1) % POOL]];
        const config = round % 3 === 0 ? pool[(round * 5 + 2) % POOL] : randomBlob(64);
        const pushed = await clientPush(`w${w}-${n++}`, [config, ...layers], stats);
        live.push(pushed);
        // Delete an older manifest now and then so its blobs become garbage again.
        if (live.length > 12) {
          const victim = live.splice((round * 31) % live.length, 1)[0];
          const res = await fetch(`${reg.url}/v2/${REPO}/manifests/${victim.digest}`, { method: 'DELETE' });
          await res.arrayBuffer();
          if (res.status !== 202) throw new Error(`delete answered ${res.status}`);
          stats.deletes++;
        }
      }
    };
    try {
      await Promise.all(Array.from({ length: WORKERS }, (_, w) => worker(w)));
    } finally {
      pushing = false;
      await gcLoop;
    }
    // One more collection after the pushes stopped: nothing live may go with it.
    await sleep(400);
    const last = await runGc(reg.url);
    stats.blobsDeleted += last.report.blobsDeleted;

    const problems: string[] = [];
    for (const p of live) problems.push(...(await reg.client.missingContent(REPO, p.digest, p.blobs)));
    const lostBlobs = problems.filter((p) => p.startsWith('blob')).length;
    process.stdout.write(`GC race (${driver}): ${JSON.stringify({ ...stats, liveManifests: live.length, lostBlobs, problems: problems.length })}\n`);

    expect(problems).toEqual([]);
    expect(lostBlobs).toBe(0);
    expect(stats.rounds).toBeGreaterThanOrEqual(minRounds);
    // The collector really ran during the pushes and really deleted garbage.
    expect(stats.gcRuns).toBeGreaterThanOrEqual(3);
    expect(stats.blobsDeleted).toBeGreaterThan(0);
  }, timeoutMs);
});
