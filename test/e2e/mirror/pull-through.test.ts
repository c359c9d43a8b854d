// The pull-through cache against a real upstream (CNCF Distribution v3 as an
// anonymous "docker.io", behind a proxy that counts what reaches it): addressing
// by path prefix and by containerd's ?ns=, freshness, tags that move or vanish
// upstream, platform-only fetches of an index, and pushes refused.
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDistribution, type DistributionProcess } from '../../harness/distribution-process.js';
import { FaultyUpstream } from '../../harness/faulty-upstream.js';
import { runOk } from '../../harness/tools.js';
import { startInProcessRegistry, type InProcessRegistry } from '../../harness/in-process-registry.js';
import { cacheRequests, get, hashBlob, seedImage, sleep, webhookReceiver, type Receiver } from './fixtures.js';

let dist: DistributionProcess;
let hub: FaultyUpstream;
let cache: InProcessRegistry;
let receiver: Receiver;
let host: string;

beforeAll(async () => {
  dist = await startDistribution();
  hub = await FaultyUpstream.start(dist.url);
  receiver = await webhookReceiver();
  cache = await startInProcessRegistry({
    mirror: {
      upstreams: [
        { host: 'docker.io', aliases: ['registry-1.docker.io'], url: hub.url, exclude: ['private/**'] },
        { host: 'quick.example', url: hub.url, tagTTLSeconds: 3 },
      ],
    },
    events: { webhooks: [{ url: receiver.url, events: ['cache'], backoffSeconds: 0.1 }] },
  });
  host = new URL(cache.url).host;
});

afterAll(async () => {
  await cache?.stop();
  await receiver?.stop();
  await hub?.stop();
  await dist?.stop();
});

beforeEach(() => hub.clear());

const crane = (...args: string[]) => runOk('crane', args);

test('cold pull by path prefix: one manifest GET and one GET per blob; warm pulls within the TTL: 0 upstream requests', async () => {
  const image = await seedImage(dist.host, 'library/alpine', '3.20');
  hub.clear();
  const out = await mkdtemp(join(tmpdir(), 'berth-pull-'));
  await crane('pull', '--format', 'oci', `${host}/docker.io/library/alpine:3.20`, join(out, 'cold'));
  const blobs = image.platforms['linux/amd64'].blobs;
  expect(hub.count('manifest-get')).toBe(1);
  expect(hub.count('blob-get')).toBe(blobs.length);
  expect(hub.count('manifest-head', 'blob-head')).toBe(0);
  const cold = hub.count();
  hub.clear();
  for (let i = 0; i < 10; i++) await crane('pull', '--format', 'oci', `${host}/docker.io/library/alpine:3.20`, join(out, `warm-${i}`));
  expect(hub.count()).toBe(0);
  // A digest reference is served locally once cached, whatever the TTL.
  await crane('manifest', `${host}/docker.io/library/alpine@${image.digest}`);
  expect(hub.count()).toBe(0);
  const index = JSON.parse(await readFile(join(out, 'warm-9', 'index.json'), 'utf8'));
  expect(index.manifests[0].digest).toBe(image.digest);
  const metrics = await (await fetch(`${cache.url}/metrics`)).text();
  expect(cacheRequests(metrics, 'docker.io', 'hit')).toBeGreaterThanOrEqual(10 * (blobs.length + 1));
  // The fill went through the write path's index steps: the metadata index lists the cached repository, tag and content.
  const { index: meta } = cache.running.services;
  expect(await meta.resolveTag('docker.io/library/alpine', '3.20')).toBe(image.digest);
  expect((await meta.getManifest('docker.io/library/alpine', image.digest))?.digest).toBe(image.digest);
  for (const b of blobs) expect(await meta.linkedBlob('docker.io/library/alpine', b)).toBeDefined();
  expect(JSON.parse((await get(`${cache.url}/v2/_catalog`)).body.toString()).repositories).toContain('docker.io/library/alpine');
  expect(JSON.parse((await get(`${cache.url}/v2/docker.io/library/alpine/tags/list`)).body.toString()).tags).toEqual(['3.20']);
  expect(await meta.openIntentsFor('docker.io/library/alpine')).toBe(0);
  process.stdout.write(`upstream requests: cold pull ${cold}, 10 warm pulls 0\n`);
});

test('containerd-style ?ns= and the prefix name one cached repository; one-segment Hub names get library/; an unknown ns is local', async () => {
  const image = await seedImage(dist.host, 'library/busybox', '1.36');
  hub.clear();
  const viaNs = await get(`${cache.url}/v2/library/busybox/manifests/1.36?ns=docker.io`);
  expect(viaNs.status).toBe(200);
  expect(viaNs.headers.get('docker-content-digest')).toBe(image.digest);
  expect(hub.count('manifest-get')).toBe(1);
  for (const path of ['/v2/docker.io/library/busybox/manifests/1.36', '/v2/docker.io/busybox/manifests/1.36', '/v2/busybox/manifests/1.36?ns=docker.io',
    '/v2/registry-1.docker.io/library/busybox/manifests/1.36', '/v2/library/busybox/manifests/1.36?ns=registry-1.docker.io']) {
    const r = await get(`${cache.url}${path}`);
    expect({ path, status: r.status, digest: r.headers.get('docker-content-digest') }).toEqual({ path, status: 200, digest: image.digest });
  }
  expect(hub.count()).toBe(1);
  // ns is a key among configured upstreams, never a host to dial.
  const unknown = await get(`${cache.url}/v2/library/busybox/manifests/1.36?ns=evil.example`);
  expect(unknown.status).toBe(404);
  expect(JSON.parse(unknown.body.toString()).errors[0].code).toBe('MANIFEST_UNKNOWN');
  expect(hub.count()).toBe(1);
  const blob = await hashBlob(`${cache.url}/v2/library/busybox/blobs/${image.platforms['linux/amd64'].blobs[1]}?ns=docker.io`);
  expect(blob.digest).toBe(image.platforms['linux/amd64'].blobs[1]);
});

test('after the TTL an unchanged tag costs one HEAD and no GET', async () => {
  await seedImage(dist.host, 'team/app', 'v1');
  const ref = `${host}/quick.example/team/app:v1`;
  await crane('manifest', ref);
  await sleep(3100);
  hub.clear();
  await crane('manifest', ref);
  expect({ head: hub.count('manifest-head'), get: hub.count('manifest-get', 'blob-get') }).toEqual({ head: 1, get: 0 });
  hub.clear();
  await crane('manifest', ref); // validated again just now
  expect(hub.count()).toBe(0);
  const metrics = await (await fetch(`${cache.url}/metrics`)).text();
  expect(cacheRequests(metrics, 'quick.example', 'revalidated')).toBeGreaterThanOrEqual(1);
});

test('a tag moved upstream: one HEAD, one GET by digest, the tag moves and an event says so', async () => {
  const first = await seedImage(dist.host, 'team/moving', 'stable');
  const ref = `${host}/quick.example/team/moving:stable`;
  expect((await crane('digest', ref)).trim()).toBe(first.digest);
  const second = await seedImage(dist.host, 'team/moving', 'stable');
  await sleep(3100);
  hub.clear();
  expect((await crane('digest', ref)).trim()).toBe(second.digest);
  expect({ head: hub.count('manifest-head'), get: hub.count('manifest-get') }).toEqual({ head: 1, get: 1 });
  expect(hub.requests.find((r) => r.kind === 'manifest-get')?.path).toContain(second.digest);
  await cache.running.events.flushed();
  expect(receiver.events).toContainEqual(expect.objectContaining({
    type: 'dev.berth.registry.cache.tag-moved', subject: 'quick.example/team/moving',
    data: expect.objectContaining({ tag: 'stable', from: first.digest, to: second.digest, upstream: 'quick.example' }),
  }));
});

test('a tag deleted upstream is still served, with a Warning and an event', async () => {
  const image = await seedImage(dist.host, 'team/vanishing', 'v1');
  const url = `${cache.url}/v2/quick.example/team/vanishing/manifests/v1`;
  expect((await get(url)).status).toBe(200);
  const del = await fetch(`${dist.url}/v2/team/vanishing/manifests/${image.digest}`, { method: 'DELETE' });
  expect(del.status).toBe(202);
  await sleep(3100);
  hub.clear();
  const after = await get(url);
  expect(after.status).toBe(200);
  expect(after.headers.get('docker-content-digest')).toBe(image.digest);
  expect(after.headers.get('warning')).toMatch(/^110 berth "Response is Stale: the upstream no longer has this tag/);
  expect(hub.count('manifest-head')).toBe(1);
  await cache.running.events.flushed();
  expect(receiver.events).toContainEqual(expect.objectContaining({
    type: 'dev.berth.registry.cache.upstream-missing', data: expect.objectContaining({ tag: 'v1', digest: image.digest }),
  }));
});

test('an index: only the requested platform\'s manifest and layers are fetched', async () => {
  const image = await seedImage(dist.host, 'library/multi', 'v1', { platforms: ['linux/amd64', 'linux/arm64'] });
  hub.clear();
  const out = await mkdtemp(join(tmpdir(), 'berth-pull-'));
  await crane('pull', '--platform', 'linux/arm64', `${host}/docker.io/library/multi:v1`, join(out, 'arm64.tar'));
  const fetched = hub.requests.filter((r) => r.kind === 'manifest-get' || r.kind === 'blob-get').map((r) => r.path.split('/').pop());
  const arm = image.platforms['linux/arm64'];
  const amd = image.platforms['linux/amd64'];
  expect(fetched.sort()).toEqual(['v1', arm.manifest, ...arm.blobs].sort());
  for (const d of [amd.manifest, ...amd.blobs]) expect(fetched).not.toContain(d);
});

test('pushes into a cached namespace are refused with UNSUPPORTED; excluded repositories are never fetched', async () => {
  for (const [method, path] of [['POST', '/v2/docker.io/library/alpine/blobs/uploads/'], ['PUT', '/v2/library/alpine/manifests/x?ns=docker.io']] as const) {
    const res = await fetch(`${cache.url}${path}`, { method, body: method === 'PUT' ? '{}' : undefined, headers: { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' } });
    expect(res.status).toBe(405);
    expect(((await res.json()) as { errors: { code: string }[] }).errors[0].code).toBe('UNSUPPORTED');
  }
  await seedImage(dist.host, 'private/secret', 'v1');
  hub.clear();
  const excluded = await get(`${cache.url}/v2/docker.io/private/secret/manifests/v1`);
  expect(excluded.status).toBe(404);
  expect(hub.count()).toBe(0);
});

test('GET /admin/upstreams: each upstream asked GET /v2/ without credentials; a failing one reported with why', async () => {
  type Report = { upstreams: Array<{ host: string; reachable: boolean; detail: string }> };
  const report = async () => (await (await fetch(`${cache.url}/admin/upstreams`)).json()) as Report;
  expect((await report()).upstreams.map((u) => [u.host, u.reachable])).toEqual([['docker.io', true], ['quick.example', true]]);
  expect(hub.count('base')).toBe(2);
  await hub.set({ kind: 'status', status: 503 });
  try {
    const failing = (await report()).upstreams;
    expect(failing.map((u) => [u.host, u.reachable])).toEqual([['docker.io', false], ['quick.example', false]]);
    for (const u of failing) expect(u.detail).toMatch(/503/);
  } finally {
    await hub.set({ kind: 'none' });
  }
});
