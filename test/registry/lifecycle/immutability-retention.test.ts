// Tag immutability and retention through the registry API.
import { startInProcessRegistry, type InProcessRegistry } from '../../harness/in-process-registry.js';
import { ociImage, randomBlob, type Image } from '../../harness/oci-client.js';
import { expectError } from '../responses.js';
import { sleep } from './admin.js';

let reg: InProcessRegistry;
beforeAll(async () => {
  reg = await startInProcessRegistry({
    repositories: [
      { match: 'immutable/**', immutableTags: ['v*', 'release-?'] },
      { match: 'kept/app', immutableTags: ['stable'], retention: { keepLastTags: 2, keepTagPatterns: ['release-*'], untaggedOlderThanSeconds: 0, dryRun: false } },
      { match: 'report/app', retention: { keepLastTags: 1 } }, // dry run by default
    ],
  });
});
afterAll(async () => { await reg.stop(); });

const tags = async (repo: string): Promise<string[]> => ((await (await fetch(`${reg.url}/v2/${repo}/tags/list`)).json()) as { tags: string[] }).tags;

describe('immutable tags', () => {
  const repo = 'immutable/app';

  test('an existing immutable tag cannot be moved; re-pushing the same digest is fine; other tags move', async () => {
    const first = await reg.client.pushImage(repo, 'v1.0', ociImage(randomBlob(32), [randomBlob(64)]));
    const other = await reg.client.pushImage(repo, 'latest', ociImage(randomBlob(32), [randomBlob(64)]));
    const moved = await reg.client.putManifest(repo, 'v1.0', other.manifest.content);
    const body = await expectError(moved, 403, 'DENIED');
    expect(body.errors[0].message).toBe(`tag v1.0 is immutable and already points to ${first.digest}`);
    expect(body.errors[0].detail).toEqual({ repository: repo, tag: 'v1.0', immutableTagPattern: 'v*', reason: 'immutable tag' });
    // Also through the OCI `?tag=` parameter on a push by digest.
    const byParam = await fetch(`${reg.url}/v2/${repo}/manifests/${other.digest}?tag=v1.0`, {
      method: 'PUT', body: other.manifest.content, headers: { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' },
    });
    await expectError(byParam, 403, 'DENIED');
    expect((await reg.client.putManifest(repo, 'v1.0', first.manifest.content)).status).toBe(201);
    expect((await reg.client.putManifest(repo, 'latest', first.manifest.content)).status).toBe(201);
    const head = await fetch(`${reg.url}/v2/${repo}/manifests/v1.0`, { method: 'HEAD' });
    expect(head.headers.get('docker-content-digest')).toBe(first.digest);
  });

  test('an immutable tag cannot be deleted, nor its manifest; a new immutable tag can be created once', async () => {
    const image = await reg.client.pushImage(repo, 'release-1', ociImage(randomBlob(32), [randomBlob(64)]));
    await expectError(await fetch(`${reg.url}/v2/${repo}/manifests/release-1`, { method: 'DELETE' }), 403, 'DENIED');
    await expectError(await fetch(`${reg.url}/v2/${repo}/manifests/${image.digest}`, { method: 'DELETE' }), 403, 'DENIED');
    expect((await fetch(`${reg.url}/v2/${repo}/manifests/release-1`, { method: 'HEAD' })).status).toBe(200);
    // release-10 does not match `release-?`: mutable.
    expect((await reg.client.putManifest(repo, 'release-10', image.manifest.content)).status).toBe(201);
    expect((await fetch(`${reg.url}/v2/${repo}/manifests/release-10`, { method: 'DELETE' })).status).toBe(202);
  });

  test('concurrent first pushes of one immutable tag: exactly one wins', async () => {
    const images: Image[] = [];
    for (let i = 0; i < 6; i++) images.push(await reg.client.pushImage(repo, `scratch-${i}`, ociImage(randomBlob(32), [randomBlob(64)])));
    const statuses = await Promise.all(images.map(async (img) => (await reg.client.putManifest(repo, 'v9', img.manifest)).status));
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 403)).toHaveLength(5);
  });
});

describe('retention', () => {
  test('keeps the newest tags, matching and immutable tags; deletes the rest and old untagged manifests', async () => {
    const repo = 'kept/app';
    const pushed: Record<string, string> = {};
    for (const tag of ['stable', 'release-1', 'a', 'b', 'c', 'd']) {
      pushed[tag] = (await reg.client.pushImage(repo, tag, ociImage(randomBlob(32), [randomBlob(64)]))).digest;
      await sleep(20); // distinct push times order "newest"
    }
    const untagged = await reg.client.pushImage(repo, undefined, ociImage(randomBlob(32), [randomBlob(64)]));
    const res = await fetch(`${reg.url}/admin/retention`, { method: 'POST' });
    const report = await res.json() as { deleted: { kind: string; name: string }[]; wouldDelete: unknown[] };
    expect(report.wouldDelete).toEqual([]);
    expect(report.deleted.filter((d) => d.kind === 'tag').map((d) => d.name).sort()).toEqual(['a', 'b']);
    expect(report.deleted.filter((d) => d.kind === 'manifest').map((d) => d.name).sort())
      .toEqual([pushed.a, pushed.b, untagged.digest].sort());
    expect(await tags(repo)).toEqual(['c', 'd', 'release-1', 'stable']);
    expect((await fetch(`${reg.url}/v2/${repo}/manifests/${untagged.digest}`, { method: 'HEAD' })).status).toBe(404);
    expect((await fetch(`${reg.url}/v2/${repo}/manifests/stable`, { method: 'HEAD' })).status).toBe(200);
  });

  test('a dry-run rule (the default) only reports', async () => {
    const repo = 'report/app';
    for (const tag of ['one', 'two', 'three']) {
      await reg.client.pushImage(repo, tag, ociImage(randomBlob(32), [randomBlob(64)]));
      await sleep(20);
    }
    const report = await (await fetch(`${reg.url}/admin/retention`, { method: 'POST' })).json() as { deleted: unknown[]; wouldDelete: { repository: string; name: string }[] };
    expect(report.wouldDelete.filter((d) => d.repository === repo).map((d) => d.name).sort()).toEqual(['one', 'two']);
    expect(report.deleted.filter((d) => (d as { repository: string }).repository === repo)).toEqual([]);
    expect(await tags(repo)).toEqual(['one', 'three', 'two']);
    // The GC endpoint in dry-run mode runs retention in dry-run too.
    const gc = await (await fetch(`${reg.url}/admin/gc?dryRun=true`, { method: 'POST' })).json() as { retention: { dryRun: boolean; deleted: unknown[] } };
    expect({ dryRun: gc.retention.dryRun, deleted: gc.retention.deleted }).toEqual({ dryRun: true, deleted: [] });
  });
});
