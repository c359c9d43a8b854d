// Exact quotas: per repository and per prefix (a team), each unique blob counted
// once per scope, in-progress uploads counted, refusals before anything is
// committed, no drift after failed pushes, releases on delete and purge, and
// concurrent pushes racing for the last bytes.
import { startInProcessRegistry, type InProcessRegistry } from '../../harness/in-process-registry.js';
import { ociImage, randomBlob, sha256 } from '../../harness/oci-client.js';
import { expectError } from '../responses.js';
import { quotaUsed, sleep } from './admin.js';

let reg: InProcessRegistry;
beforeAll(async () => {
  reg = await startInProcessRegistry({
    repositories: [
      { match: 'solo/app', quotaBytes: 4096 },
      { match: 'team-a/**', quotaBytes: 10_000 },
      { match: 'team-a/big', quotaBytes: 6_000 },
      { match: 'race/app', quotaBytes: 10_000 },
      { match: 'failing/app', quotaBytes: 5_000 },
    ],
  });
});
afterAll(async () => { await reg.stop(); });

async function startChunked(repo: string, bytes: number): Promise<string> {
  const start = await fetch(`${reg.url}/v2/${repo}/blobs/uploads/`, { method: 'POST' });
  expect(start.status).toBe(202);
  const location = start.headers.get('location')!;
  const patch = await fetch(`${reg.url}${location}`, { method: 'PATCH', body: Buffer.alloc(bytes, 7), headers: { 'Content-Type': 'application/octet-stream' } });
  await patch.arrayBuffer();
  expect(patch.status).toBe(202);
  return location;
}

test('a push over the quota is refused with DENIED before anything is committed; deletes release', async () => {
  const repo = 'solo/app';
  const config = randomBlob(3000);
  const big = randomBlob(2000);
  const layer = randomBlob(1000);
  expect((await reg.client.uploadBlob(repo, config)).status).toBe(201);
  expect(await quotaUsed(reg.url, repo)).toBe(3000);

  const refused = await fetch(`${reg.url}/v2/${repo}/blobs/uploads/?digest=${big.digest}`, { method: 'POST', body: big.content });
  const body = await expectError(refused, 403, 'DENIED');
  expect(body.errors[0].message).toMatch(/quota exceeded for solo\/app: 3000 of 4096 bytes used, 2000 more requested/);
  expect(await reg.client.blobStatus(repo, big.digest)).toBe(404);
  expect(await quotaUsed(reg.url, repo)).toBe(3000);

  expect((await reg.client.uploadBlob(repo, layer)).status).toBe(201);
  expect(await quotaUsed(reg.url, repo)).toBe(4000);
  const { manifest } = ociImage(config, [layer]); // its body would take the repository past 4096 bytes
  await expectError(await reg.client.putManifest(repo, 'v1', manifest), 403, 'DENIED');
  expect((await fetch(`${reg.url}/v2/${repo}/manifests/v1`, { method: 'HEAD' })).status).toBe(404);
  expect(await quotaUsed(reg.url, repo)).toBe(4000);

  expect((await fetch(`${reg.url}/v2/${repo}/blobs/${layer.digest}`, { method: 'DELETE' })).status).toBe(202);
  expect(await quotaUsed(reg.url, repo)).toBe(3000);
  const small = ociImage(config, []).manifest;
  expect((await reg.client.putManifest(repo, 'v1', small)).status).toBe(201);
  expect(await quotaUsed(reg.url, repo)).toBe(3000 + small.content.length);
  expect((await fetch(`${reg.url}/v2/${repo}/manifests/${small.digest}`, { method: 'DELETE' })).status).toBe(202);
  expect(await quotaUsed(reg.url, repo)).toBe(3000);
});

test('a team quota counts a blob shared by its repositories once, and a mount of it costs nothing', async () => {
  const shared = randomBlob(4000);
  expect((await reg.client.uploadBlob('team-a/x', shared)).status).toBe(201);
  expect((await reg.client.uploadBlob('team-a/y', shared)).status).toBe(201);
  expect(await quotaUsed(reg.url, 'team-a/**')).toBe(4000);
  expect((await reg.client.uploadBlob('team-a/y', randomBlob(4000))).status).toBe(201);
  expect(await quotaUsed(reg.url, 'team-a/**')).toBe(8000);
  expect((await reg.client.uploadBlob('team-a/z', randomBlob(4000))).status).toBe(403);
  const mount = await fetch(`${reg.url}/v2/team-a/z/blobs/uploads/?mount=${shared.digest}&from=team-a/x`, { method: 'POST' });
  expect(mount.status).toBe(201);
  expect(await quotaUsed(reg.url, 'team-a/**')).toBe(8000);
  // A repository inside the team with its own smaller quota is held to both.
  expect((await reg.client.uploadBlob('team-a/big', randomBlob(1500))).status).toBe(201);
  expect((await reg.client.uploadBlob('team-a/big', randomBlob(1000))).status).toBe(403); // team: 9500 + 1000 > 10000
  expect(await quotaUsed(reg.url, 'team-a/big')).toBe(1500);
});

test('failed pushes leave no drift: digest mismatch, cancelled and failed chunked uploads', async () => {
  const repo = 'failing/app';
  const blob = randomBlob(1000);
  const mismatch = await fetch(`${reg.url}/v2/${repo}/blobs/uploads/?digest=${sha256('something else')}`, { method: 'POST', body: blob.content });
  await expectError(mismatch, 400, 'DIGEST_INVALID');
  expect(await quotaUsed(reg.url, repo)).toBe(0);

  const cancelled = await startChunked(repo, 2000);
  expect(await quotaUsed(reg.url, repo)).toBe(2000); // in-progress uploads count
  expect((await fetch(`${reg.url}${cancelled}`, { method: 'DELETE' })).status).toBe(204);
  expect(await quotaUsed(reg.url, repo)).toBe(0);

  const wrong = await startChunked(repo, 2000);
  const finish = await fetch(`${reg.url}${wrong}?digest=${sha256('not it')}`, { method: 'PUT' });
  await expectError(finish, 400, 'DIGEST_INVALID');
  expect(await quotaUsed(reg.url, repo)).toBe(0);

  const pending = await startChunked(repo, 3000);
  expect((await reg.client.uploadBlob(repo, randomBlob(2500))).status).toBe(403); // 3000 in progress + 2500 > 5000
  expect(await quotaUsed(reg.url, repo)).toBe(3000); // the refused upload left nothing behind
  const chunk = await fetch(`${reg.url}${pending}`, { method: 'PATCH', body: Buffer.alloc(2500, 1), headers: { 'Content-Type': 'application/octet-stream' } });
  await expectError(chunk, 403, 'DENIED');
  expect(await quotaUsed(reg.url, repo)).toBe(3000);
  expect((await fetch(`${reg.url}${pending}`, { method: 'DELETE' })).status).toBe(204);
  expect((await reg.client.uploadBlob(repo, randomBlob(2500))).status).toBe(201);
  expect(await quotaUsed(reg.url, repo)).toBe(2500);
});

test('concurrent pushes racing for the last bytes: exactly as many pass as fit', async () => {
  const blobs = Array.from({ length: 20 }, () => randomBlob(1000));
  const statuses = await Promise.all(blobs.map(async (b) => (await reg.client.uploadBlob('race/app', b)).status));
  expect(statuses.filter((s) => s === 201)).toHaveLength(10);
  expect(statuses.filter((s) => s === 403)).toHaveLength(10);
  expect(await quotaUsed(reg.url, 'race/app')).toBe(10_000);
  const present = await Promise.all(blobs.map((b) => reg.client.blobStatus('race/app', b.digest)));
  expect(present.filter((s) => s === 200)).toHaveLength(10);
  const metrics = await (await fetch(`${reg.url}/metrics`)).text();
  expect(metrics).toMatch(/^berth_quota_used_bytes\{scope="race\/app"\} 10000$/m);
  expect(metrics).toMatch(/^berth_quota_limit_bytes\{scope="race\/app"\} 10000$/m);
  expect(metrics).toMatch(/^berth_quota_refusals_total\{scope="race\/app"\} 10$/m);
});

test('purging an abandoned upload releases its bytes', async () => {
  const purging = await startInProcessRegistry({
    repositories: [{ match: 'purge/app', quotaBytes: 5000 }],
    uploads: { purgeAfterSeconds: 0, purgeIntervalSeconds: 1 },
  });
  try {
    const start = await fetch(`${purging.url}/v2/purge/app/blobs/uploads/`, { method: 'POST' });
    const location = start.headers.get('location')!;
    const patch = await fetch(`${purging.url}${location}`, { method: 'PATCH', body: Buffer.alloc(4000, 1), headers: { 'Content-Type': 'application/octet-stream' } });
    expect(patch.status === 202 || patch.status === 404).toBe(true); // the purger may already have taken the session
    let used = await quotaUsed(purging.url, 'purge/app');
    for (let i = 0; i < 100 && used > 0; i++) {
      await sleep(100);
      used = await quotaUsed(purging.url, 'purge/app');
    }
    expect(used).toBe(0);
    expect((await purging.client.uploadBlob('purge/app', randomBlob(4500))).status).toBe(201);
  } finally {
    await purging.stop();
  }
});
