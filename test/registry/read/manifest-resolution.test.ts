// Pulls by tag and digest are answered from memory, then the metadata index, then
// storage. Shown here: a repeated pull asks storage nothing; a push committed to
// storage but not yet indexed (a crash in between) is still served; a tag moved or
// deleted through the write path is seen at once; with the index closed, storage
// answers alone.
import { parseManifest } from '../../../registry/src/manifest/parse.js';
import { digestOf } from '../../../registry/src/reference.js';
import { startInProcessRegistry, type InProcessRegistry } from '../../harness/in-process-registry.js';
import { ociImage, randomBlob } from '../../harness/oci-client.js';

const OCI = 'application/vnd.oci.image.manifest.v1+json';
let reg: InProcessRegistry;

beforeEach(async () => {
  reg = await startInProcessRegistry();
});
afterEach(() => reg.stop());

async function head(repo: string, ref: string): Promise<{ status: number; digest: string | null }> {
  const res = await fetch(`${reg.url}/v2/${repo}/manifests/${ref}`, { method: 'HEAD', headers: { Accept: OCI } });
  return { status: res.status, digest: res.headers.get('docker-content-digest') };
}

async function storageCalls(): Promise<number> {
  const text = await reg.running.services.metrics.registry.metrics();
  return [...text.matchAll(/^berth_storage_operation_duration_seconds_count\{[^}]*\} (\d+)$/gm)].reduce((n, m) => n + Number(m[1]), 0);
}

test('a repeated pull by tag or digest asks storage nothing', async () => {
  const image = await reg.client.pushImage('read/app', 'v1', ociImage(randomBlob(64), [randomBlob(256)]));
  expect(await head('read/app', 'v1')).toEqual({ status: 200, digest: image.digest });
  await (await fetch(`${reg.url}/v2/read/app/manifests/v1`, { headers: { Accept: OCI } })).arrayBuffer(); // the body, read once
  const before = await storageCalls();
  for (let i = 0; i < 20; i++) {
    expect((await head('read/app', 'v1')).status).toBe(200);
    expect((await head('read/app', image.digest)).status).toBe(200);
    const get = await fetch(`${reg.url}/v2/read/app/manifests/v1`, { headers: { Accept: OCI } });
    expect(get.status).toBe(200);
    await get.arrayBuffer();
  }
  expect(await storageCalls()).toBe(before);
});

test('content committed to storage but not indexed is served; a tag move and a delete are seen at once', async () => {
  const { storage } = reg.running.services;
  const v1 = await reg.client.pushImage('read/app', 'v1', ociImage(randomBlob(64), [randomBlob(256)]));
  expect(await head('read/app', 'v1')).toEqual({ status: 200, digest: v1.digest });
  // A push that died between its storage commit and its index write.
  const body = (await reg.client.pushImage('read/other', 'x', ociImage(randomBlob(64), [randomBlob(300)]))).manifest.content;
  const parsed = parseManifest(body, OCI);
  await storage.manifests.commit('read/app', digestOf(body, 'sha256'), body, parsed, ['v2']);
  expect(await head('read/app', 'v2')).toEqual({ status: 200, digest: digestOf(body, 'sha256').value });
  expect((await head('read/app', digestOf(body, 'sha256').value)).status).toBe(200);
  // Through the write path: every replica's cache hears the change.
  const moved = await reg.client.pushImage('read/app', 'v1', ociImage(randomBlob(64), [randomBlob(400)]));
  expect(await head('read/app', 'v1')).toEqual({ status: 200, digest: moved.digest });
  expect((await fetch(`${reg.url}/v2/read/app/manifests/v1`, { method: 'DELETE' })).status).toBe(202);
  expect((await head('read/app', 'v1')).status).toBe(404);
  expect((await fetch(`${reg.url}/v2/read/app/manifests/${moved.digest}`, { method: 'DELETE' })).status).toBe(202);
  expect((await head('read/app', moved.digest)).status).toBe(404);
});

test('with the index closed, storage answers', async () => {
  const v1 = await reg.client.pushImage('read/app', 'v1', ociImage(randomBlob(64), [randomBlob(256)]));
  await reg.running.services.index.close();
  expect(await head('read/app', 'v1')).toEqual({ status: 200, digest: v1.digest });
  expect((await head('read/app', 'nope')).status).toBe(404);
});
