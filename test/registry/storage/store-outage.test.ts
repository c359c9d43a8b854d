// The S3 server dies in the middle of a run and comes back. Four clients push and
// pull small images throughout (bounded in count and time). While the store is
// away every failed answer must be a clean 503 with Retry-After; no blob may be
// visible with bytes other than its digest's; every image that was committed
// (its manifest PUT got 201) must pull whole afterwards; and the registry must
// serve again by itself, without a restart, once the store is back.
import { startRegistryProcess, type RegistryProcess } from '../../harness/registry-process.js';
import { startS3Server, type S3Server } from '../../harness/s3-server.js';
import { Client, unexpected, type Image } from '../../harness/workload.js';

const CLIENTS = 4;
const RUN_MS = 12_000;
const OUTAGE_AFTER_MS = 3_000;
const OUTAGE_MS = 4_000;

let s3: S3Server;
let registry: RegistryProcess;

beforeAll(async () => {
  s3 = await startS3Server();
  registry = await startRegistryProcess({
    config: {
      log: { level: 'warn' },
      uploads: { purgeIntervalSeconds: 0 },
      storage: { s3: { endpoint: s3.endpoint, bucket: s3.bucket, accessKey: s3.accessKey, secretKey: s3.secretKey, prefix: 'outage', requestTimeoutSeconds: 3 } },
    },
  });
}, 60_000);

afterAll(async () => {
  await registry?.stop();
  await s3?.stop();
});

test('S3 killed and restarted mid-run: clean 503s, no partial blob, nothing committed lost, recovery without a restart', async () => {
  const clients = Array.from({ length: CLIENTS }, () => new Client(registry.url, 15_000));
  const committed: Image[] = [];
  const start = Date.now();
  let outage: 'before' | 'during' | 'after' = 'before';
  const outageDone = (async () => {
    await new Promise((r) => setTimeout(r, OUTAGE_AFTER_MS));
    outage = 'during';
    await s3.kill();
    await new Promise((r) => setTimeout(r, OUTAGE_MS));
    await s3.restart();
    outage = 'after';
  })();
  let failedDuringOutage = 0;
  await Promise.all(clients.map(async (client, c) => {
    for (let i = 0; i < 200 && Date.now() - start < RUN_MS; i++) {
      const image = await client.pushImage(`outage/c${c}`, `t${i}`, { layers: 2, layerBytes: 64 * 1024 + i, chunked: i % 2 === 1 });
      if (image) committed.push(image);
      else if (outage === 'during') failedDuringOutage++;
      else await new Promise((r) => setTimeout(r, 200)); // a failure just before or after: a client backs off briefly
      if (committed.length) await client.verifyImage(committed[(i * 7) % committed.length], false);
    }
  }));
  await outageDone;

  expect(failedDuringOutage).toBeGreaterThan(0);
  const answers = clients.flatMap((c) => c.answers);
  // 404 only for a pull of a manifest or blob that a refused push never completed; everything else clean.
  const bad = unexpected(answers, (a) => a.status === 503 && a.code === 'UNAVAILABLE' && a.retryAfter !== undefined && a.jsonError === true);
  expect(bad.filter((a) => a.status !== 404)).toEqual([]);

  // Recovery: once the store is back, a push and full pulls succeed without restarting the registry.
  const after = new Client(registry.url);
  let recovered: Image | undefined;
  for (let attempt = 0; attempt < 20 && !recovered; attempt++) {
    recovered = await after.pushImage('outage/after', 'v1', { layers: 2, layerBytes: 32 * 1024 });
    if (!recovered) await new Promise((r) => setTimeout(r, 500));
  }
  expect(recovered).toBeDefined();
  const check = new Client(registry.url);
  const lost: string[] = [];
  for (const image of [...committed, recovered!]) lost.push(...await check.verifyImage(image));
  expect(lost).toEqual([]);
  expect(committed.length).toBeGreaterThan(CLIENTS);

  // Every blob any client tried to push is either absent or whole: never partial.
  const tried = new Set(answers.filter((a) => a.method === 'POST' && a.path.includes('?digest=')).map((a) => a.path));
  for (const path of tried) {
    const [, repo, digest] = /^\/v2\/(.+)\/blobs\/uploads\/\?digest=(.+)$/.exec(path)!;
    expect([digest, await check.blobState(repo, digest)]).not.toEqual([digest, 'corrupt']);
  }
  expect(check.answers.filter((a) => a.status >= 500)).toEqual([]);
}, 120_000);
