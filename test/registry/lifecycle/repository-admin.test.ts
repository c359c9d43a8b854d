// The admin view of one repository (what the operator's Repository reconciler
// reports) and the admin delete of a whole repository.
import { startInProcessRegistry, type InProcessRegistry } from '../../harness/in-process-registry.js';
import { ociImage, randomBlob } from '../../harness/oci-client.js';
import { expectError } from '../responses.js';
import { quotaUsed, runGc } from './admin.js';

let reg: InProcessRegistry;
beforeAll(async () => {
  reg = await startInProcessRegistry({ gc: { gracePeriodSeconds: 0 }, repositories: [{ match: 'admin/**', quotaBytes: 100_000 }] });
});
afterAll(async () => { await reg.stop(); });

test('status: tags, manifests, unique size, quota scopes and the last push time', async () => {
  const config = randomBlob(100);
  const layer = randomBlob(1000);
  const first = await reg.client.pushImage('admin/app', 'v1', ociImage(config, [layer]));
  const second = await reg.client.pushImage('admin/app', 'v2', ociImage(config, [layer, randomBlob(500)])); // shares config and layer
  await reg.client.pushImage('admin/app/sub', 'v1', ociImage(randomBlob(10), [randomBlob(20)]));
  const res = await fetch(`${reg.url}/admin/repositories/admin/app`);
  const status = await res.json() as Record<string, unknown>;
  const size = 100 + 1000 + 500 + first.manifest.content.length + second.manifest.content.length;
  expect(status).toEqual({
    name: 'admin/app', tagCount: 2, manifestCount: 2, sizeBytes: size,
    quotas: [{ scope: 'admin/**', limitBytes: 100_000, usedBytes: await quotaUsed(reg.url, 'admin/**') }],
    lastPushTime: expect.any(String),
  });
  expect(Date.parse(status.lastPushTime as string)).toBeLessThanOrEqual(Date.now());
  await expectError(await fetch(`${reg.url}/admin/repositories/admin/none`), 404, 'NAME_UNKNOWN');
  await expectError(await fetch(`${reg.url}/admin/repositories/Admin/App`), 400, 'NAME_INVALID');
});

test('deleting a repository removes its tags, manifests and links, releases its quota, and GC frees the content', async () => {
  const image = await reg.client.pushImage('admin/doomed', 'v1', ociImage(randomBlob(100), [randomBlob(3000)]));
  const before = await quotaUsed(reg.url, 'admin/**');
  const res = await fetch(`${reg.url}/admin/repositories/admin/doomed`, { method: 'DELETE' });
  expect({ status: res.status, body: await res.json() }).toEqual({ status: 202, body: { deleted: 'admin/doomed' } });
  expect((await fetch(`${reg.url}/v2/admin/doomed/manifests/${image.digest}`, { method: 'HEAD' })).status).toBe(404);
  expect(await quotaUsed(reg.url, 'admin/**')).toBe(before - 3100 - image.manifest.content.length);
  const { report } = await runGc(reg.url);
  expect(report.bytesFreed).toBeGreaterThanOrEqual(3100 + image.manifest.content.length);
  // A nested repository is a repository of its own and stays.
  expect((await fetch(`${reg.url}/admin/repositories/admin/app/sub`)).status).toBe(200);
  await expectError(await fetch(`${reg.url}/admin/repositories/admin/doomed`), 404, 'NAME_UNKNOWN');
});
