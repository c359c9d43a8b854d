// Stateless replicas on one bucket: real registry processes sharing a real S3
// server. An upload moves between processes chunk by chunk; an outage or a silent
// store answers 503 with Retry-After in bounded time; redirect mode hands clients
// presigned URLs on the store's external name.
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import { buffer } from 'node:stream/consumers';
import type { RegistryConfigInput } from '#contract/config/schema.js';
import { blob, OciClient, sha256 } from '../harness/oci-client.js';
import { startRegistryProcess, type RegistryProcess } from '../harness/registry-process.js';
import { startS3Server, type S3Server } from '../harness/s3-server.js';

const MiB = 1024 * 1024;
const REPO = 'team/app';

let s3: S3Server;
/** The purge tests' stores, one per S3 implementation. */
const purgeStores: S3Server[] = [];
let a: RegistryProcess;
let b: RegistryProcess;
const started: RegistryProcess[] = [];

function s3Config(extra: Record<string, unknown> = {}, endpoint = s3.endpoint, store = s3): RegistryConfigInput {
  return {
    log: { accessLog: false },
    storage: {
      s3: {
        endpoint, bucket: store.bucket, accessKey: store.accessKey, secretKey: store.secretKey,
        prefix: 'replicas', requestTimeoutSeconds: 10, ...extra,
      },
    },
  };
}

async function start(config: RegistryConfigInput): Promise<RegistryProcess> {
  const p = await startRegistryProcess({ config });
  started.push(p);
  return p;
}

beforeAll(async () => {
  s3 = await startS3Server({ implementation: 'minio' });
  [a, b] = await Promise.all([start(s3Config()), start(s3Config())]);
});

afterAll(async () => {
  await Promise.all(started.map((p) => p.stop()));
  await s3?.stop();
  for (const store of purgeStores) await store.stop();
});

async function pushBlob(registry: RegistryProcess, bytes: Buffer): Promise<string> {
  return (await new OciClient(registry.url).pushBlob(REPO, blob(bytes))).digest;
}

test('an upload started on A, continued on B and completed on A yields the exact blob', async () => {
  // Chunks below S3's 5 MiB part minimum, alternating processes.
  const chunks = [3 * MiB, 4 * MiB, 1 * MiB + 7, 2 * MiB].map((n) => randomBytes(n));
  const whole = Buffer.concat(chunks);
  const digest = sha256(whole);

  const post = await fetch(`${a.url}/v2/${REPO}/blobs/uploads/`, { method: 'POST' });
  expect(post.status).toBe(202);
  const location = post.headers.get('location')!;
  let offset = 0;
  for (const [i, chunk] of chunks.entries()) {
    const via = i % 2 === 0 ? b : a;
    const patch = await fetch(`${via.url}${location}`, {
      method: 'PATCH', body: chunk,
      headers: { 'Content-Type': 'application/octet-stream', 'Content-Range': `${offset}-${offset + chunk.length - 1}` },
    });
    expect(patch.status).toBe(202);
    offset += chunk.length;
    expect(patch.headers.get('range')).toBe(`0-${offset - 1}`);
    // The other process sees the same progress: the state is in the bucket.
    const other = via === a ? b : a;
    const status = await fetch(`${other.url}${location}`);
    expect(status.status).toBe(204);
    expect(status.headers.get('range')).toBe(`0-${offset - 1}`);
  }
  const put = await fetch(`${a.url}${location}?digest=${digest}`, { method: 'PUT' });
  expect(put.status).toBe(201);

  const got = await fetch(`${b.url}/v2/${REPO}/blobs/${digest}`);
  expect(got.status).toBe(200);
  const body = Buffer.from(await got.arrayBuffer());
  expect(body.length).toBe(whole.length);
  expect(sha256(body)).toBe(digest);
  const pending = await s3.client().listIncompleteUploadsQuery(s3.bucket, 'replicas/', '', '', '');
  expect(pending.uploads).toEqual([]);
});

test('with the store down, requests answer 503 with Retry-After in bounded time, and recover', async () => {
  const digest = await pushBlob(a, randomBytes(1000));
  await s3.kill();
  try {
    // b's index never saw the blob (each process has its own embedded index), so both ask the store.
    for (const [method, path] of [['HEAD', `/v2/${REPO}/blobs/${digest}`], ['GET', `/v2/${REPO}/blobs/${digest}`], ['POST', `/v2/${REPO}/blobs/uploads/`]]) {
      const startedAt = Date.now();
      const res = await fetch(`${b.url}${path}`, { method });
      expect({ method, path, status: res.status }).toEqual({ method, path, status: 503 });
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(Date.now() - startedAt).toBeLessThan(5_000);
    }
  } finally {
    await s3.restart();
  }
  expect((await fetch(`${b.url}/v2/${REPO}/blobs/${digest}`, { method: 'HEAD' })).status).toBe(200);
});

test('a store that accepts connections but never answers yields 503 after the configured timeout, not a hang', async () => {
  const sockets = new Set<net.Socket>();
  const silent = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  const endpoint = `http://127.0.0.1:${(silent.address() as net.AddressInfo).port}`;
  try {
    const stuck = await start(s3Config({ requestTimeoutSeconds: 1 }, endpoint));
    const startedAt = Date.now();
    const res = await fetch(`${stuck.url}/v2/${REPO}/blobs/sha256:${'0'.repeat(64)}`);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBeTruthy();
    expect(Date.now() - startedAt).toBeLessThan(5_000);
  } finally {
    for (const s of sockets) s.destroy();
    await new Promise((r) => silent.close(r));
  }
});

test('redirect mode answers 307 to a presigned URL on the external endpoint', async () => {
  const port = new URL(s3.endpoint).port;
  const externalHost = `store.example.test:${port}`;
  const redirecting = await start(s3Config({ redirect: { enabled: true, externalEndpoint: `http://${externalHost}`, expirySeconds: 600 } }));
  const bytes = randomBytes(64 * 1024);
  const digest = await pushBlob(redirecting, bytes);
  const res = await fetch(`${redirecting.url}/v2/${REPO}/blobs/${digest}`, { redirect: 'manual' });
  expect(res.status).toBe(307);
  const location = new URL(res.headers.get('location')!);
  expect(location.host).toBe(externalHost);
  expect(location.searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
  // The client resolves the external name; here it points at the loopback server.
  const body = await new Promise<Buffer>((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: location.pathname + location.search, headers: { host: externalHost } }, (r) => {
      if (r.statusCode !== 200) reject(new Error(`presigned GET answered ${r.statusCode}`));
      buffer(r).then(resolve, reject);
    }).on('error', reject);
  });
  expect(body.equals(bytes)).toBe(true);
});

test.each(['minio', 'versitygw'] as const)('an upload abandoned longer than the configured age is purged with its multipart parts (%s)', async (implementation) => {
  const prefix = `purging-${implementation}`;
  // A store of its own: the purge would otherwise race the other tests' uploads.
  const store = await startS3Server({ implementation });
  purgeStores.push(store);
  const purging = await start({
    ...s3Config({ prefix }, store.endpoint, store),
    uploads: { purgeAfterSeconds: 1, purgeIntervalSeconds: 1 },
  });
  const post = await fetch(`${purging.url}/v2/${REPO}/blobs/uploads/`, { method: 'POST' });
  const location = post.headers.get('location')!;
  const chunk = randomBytes(6 * MiB); // over the part minimum: a multipart upload now holds a part
  const patch = await fetch(`${purging.url}${location}`, {
    method: 'PATCH', body: chunk, headers: { 'Content-Type': 'application/octet-stream', 'Content-Range': `0-${chunk.length - 1}` },
  });
  expect(patch.status).toBe(202);
  const objects = async () => (await store.client().listObjectsV2Query(store.bucket, `${prefix}/_uploads/`, '', '', 1000, '')).objects;
  // MinIO lists unfinished uploads only for an exact key: the file the writer's state object names.
  const state = (await objects()).map((o) => o.name).find((k) => k?.endsWith('~/state'));
  expect(state).toBeDefined();
  const fileKey = state!.slice(0, -'~/state'.length);
  const pending = async () => (await store.client().listIncompleteUploadsQuery(store.bucket, fileKey, '', '', '')).uploads;
  expect(await pending()).toHaveLength(1);
  const deadline = Date.now() + 20_000;
  while ((await pending()).length > 0 || (await objects()).length > 0) {
    if (Date.now() > deadline) throw new Error('the abandoned upload was not purged within 20 s');
    await new Promise((r) => setTimeout(r, 250));
  }
  expect((await fetch(`${purging.url}${location}`)).status).toBe(404);
});

test('a store outage during the final PUT leaves no blob visible, and the upload can be finished afterwards', async () => {
  const bytes = randomBytes(6 * MiB + 11);
  const digest = sha256(bytes);
  const post = await fetch(`${a.url}/v2/${REPO}/blobs/uploads/`, { method: 'POST' });
  const location = post.headers.get('location')!;
  const patch = await fetch(`${a.url}${location}`, {
    method: 'PATCH', body: bytes, headers: { 'Content-Type': 'application/octet-stream', 'Content-Range': `0-${bytes.length - 1}` },
  });
  expect(patch.status).toBe(202);
  await s3.kill();
  try {
    const put = await fetch(`${b.url}${location}?digest=${digest}`, { method: 'PUT' });
    expect(put.status).toBe(503);
    expect(put.headers.get('retry-after')).toBeTruthy();
  } finally {
    await s3.restart();
  }
  expect((await fetch(`${a.url}/v2/${REPO}/blobs/${digest}`, { method: 'HEAD' })).status).toBe(404);
  const status = await fetch(`${b.url}${location}`);
  expect(status.headers.get('range')).toBe(`0-${bytes.length - 1}`);
  expect((await fetch(`${b.url}${location}?digest=${digest}`, { method: 'PUT' })).status).toBe(201);
  const got = Buffer.from(await (await fetch(`${a.url}/v2/${REPO}/blobs/${digest}`)).arrayBuffer());
  expect(sha256(got)).toBe(digest);
});
