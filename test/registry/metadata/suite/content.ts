// Manifests, blob links, repository rows and their counters.
import { openEngine } from '../../../../registry/src/metadata/engine/engine.js';
import type { SuiteContext } from '../index-suite.js';
import { digest, expectConsistent, image, indexOf, OCI_CONFIG, OCI_MANIFEST, pushImage } from '../fixtures.js';

export function contentTests(ctx: SuiteContext): void {
  test('recordManifest stores what getManifest returns, with its tags', async () => {
    const index = ctx.index();
    const m = image('team/app', 'a', { created: 1_700_000_000_000, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' },
      annotations: { 'org.opencontainers.image.title': 'app' } });
    await pushImage(index, m, ['v1', 'latest'], 5_000);
    expect(await index.getManifest('team/app', m.digest)).toEqual({
      digest: m.digest, mediaType: OCI_MANIFEST, size: 500, artifactType: OCI_CONFIG, configDigest: m.configDigest,
      created: 1_700_000_000_000, annotations: { 'org.opencontainers.image.title': 'app' },
      platforms: [{ os: 'linux', architecture: 'arm64', variant: 'v8' }], pushedAt: 5_000,
    });
    expect(await index.tagsOf('team/app', m.digest)).toEqual(['latest', 'v1']);
    expect(await index.resolveTag('team/app', 'v1')).toBe(m.digest);
    expect(await index.getManifest('team/app', digest('absent'))).toBeUndefined();
    expect(await index.getManifest('other', m.digest)).toBeUndefined();
    // The push path's check reads the media type alone.
    expect(await index.manifestMediaType('team/app', m.digest)).toBe(OCI_MANIFEST);
    expect(await index.manifestMediaType('team/app', digest('absent'))).toBeUndefined();
    expect(await index.manifestMediaType('other', m.digest)).toBeUndefined();
    expect(await index.blobSize(m.digest)).toBe(500);
    expect(await index.blobSize(m.configDigest!)).toBe(100);
  });

  test('repository status counts tags, manifests and each unique digest once', async () => {
    const index = ctx.index();
    const shared = digest('shared-layer');
    const a = image('r', 'a', { layers: [shared, digest('a-only')] });
    const b = image('r', 'b', { layers: [shared] });
    await pushImage(index, a, ['a1', 'a2'], 1_000);
    await pushImage(index, b, ['b1'], 2_000);
    // configs 2×100, layers: shared + a-only 2×1000, manifests 2×500
    expect(await index.repositoryStatus('r')).toEqual({
      name: 'r', createdAt: 1_000, lastPushAt: 2_000, origin: 'local', tagCount: 3, manifestCount: 2, sizeBytes: 3_200,
    });
    await expectConsistent(index, 'r');
    expect(await index.repositoryStatus('absent')).toBeUndefined();
  });

  test('a re-pushed manifest refreshes its push time and counts once', async () => {
    const index = ctx.index();
    const m = image('r', 'a');
    await pushImage(index, m, [], 1_000);
    await pushImage(index, m, [], 3_000);
    expect((await index.getManifest('r', m.digest))?.pushedAt).toBe(3_000);
    expect((await index.repositoryStatus('r'))?.manifestCount).toBe(1);
    await expectConsistent(index, 'r');
  });

  test('an index records its children as references and their platforms', async () => {
    const index = ctx.index();
    const amd = image('r', 'amd');
    const arm = image('r', 'arm');
    await pushImage(index, amd);
    await pushImage(index, arm);
    const idx = indexOf('r', 'multi', [
      { digest: amd.digest, platform: { os: 'linux', architecture: 'amd64' } },
      { digest: arm.digest, platform: { os: 'linux', architecture: 'arm', variant: 'v7' } },
    ]);
    await index.recordManifest(idx, { tags: ['latest'] });
    const graph = await index.repositoryGraph('r');
    expect(graph.children.get(idx.digest)?.sort()).toEqual([amd.digest, arm.digest].sort());
    expect((await index.tagPage('r')).items[0].platforms).toEqual([
      { os: 'linux', architecture: 'amd64' }, { os: 'linux', architecture: 'arm', variant: 'v7' }]);
  });

  test('linkBlob, linkedBlob and unlinkBlob; a digest linked as layer and manifest counts once', async () => {
    const index = ctx.index();
    const d = digest('blob');
    expect(await index.linkedBlob('r', d)).toBeUndefined();
    await index.linkBlob('r', d, 42, { at: 10 });
    expect(await index.linkedBlob('r', d)).toEqual({ size: 42, linkedAt: 10 });
    await index.linkBlob('r', d, 42, { at: 20 });
    expect(await index.linkedBlob('r', d)).toEqual({ size: 42, linkedAt: 20 });
    expect(await index.linkedBlob('other', d)).toBeUndefined();
    expect((await index.repositoryStatus('r'))?.sizeBytes).toBe(42);
    // The same bytes pushed as a manifest body too.
    await index.recordManifest({ repo: 'r', digest: d, mediaType: OCI_MANIFEST, size: 42, refs: [] });
    expect((await index.repositoryStatus('r'))?.sizeBytes).toBe(42);
    expect(await index.unlinkBlob('r', d)).toBe(true);
    expect(await index.unlinkBlob('r', d)).toBe(false);
    expect(await index.unlinkBlob('absent', d)).toBe(false);
    expect(await index.linkedBlob('r', d)).toBeUndefined();
    expect((await index.repositoryStatus('r'))?.sizeBytes).toBe(42); // still the manifest
    await index.deleteManifest('r', d);
    expect((await index.repositoryStatus('r'))?.sizeBytes).toBe(0);
    expect(await index.blobSize(d)).toBe(42); // content stays until GC
    await expectConsistent(index, 'r');
  });

  test('deleteManifest removes its tags (with history), references and pull times', async () => {
    const index = ctx.index();
    const m = image('r', 'a');
    const keep = image('r', 'b');
    await pushImage(index, m, ['x', 'y'], 1_000);
    await pushImage(index, keep, ['z'], 1_000);
    await index.recordPulls([{ repo: 'r', digest: m.digest, tag: 'x', at: 1_500 }]);
    expect(await index.deleteManifest('r', m.digest, { actor: 'alice', at: 2_000 })).toEqual({ deleted: true, tags: ['x', 'y'] });
    expect(await index.getManifest('r', m.digest)).toBeUndefined();
    expect(await index.manifestMediaType('r', m.digest)).toBeUndefined();
    expect((await index.tagNames('r')).items).toEqual(['z']);
    expect((await index.repositoryGraph('r')).blobs.has(m.digest)).toBe(false);
    const history = (await index.tagHistory('r', { tag: 'x' })).items;
    expect(history[0]).toMatchObject({ tag: 'x', action: 'delete', previousDigest: m.digest, actor: 'alice', at: 2_000 });
    expect(history[0].digest).toBeUndefined();
    expect(await index.deleteManifest('r', m.digest)).toEqual({ deleted: false, tags: [] });
    expect(await index.deleteManifest('absent', m.digest)).toEqual({ deleted: false, tags: [] });
    await expectConsistent(index, 'r');
  });

  test('deleteRepository removes everything of it, records tag deletions, and leaves nested repositories', async () => {
    const index = ctx.index();
    await pushImage(index, image('team', 'a'), ['v1']);
    await pushImage(index, image('team/nested', 'b'), ['v1']);
    expect(await index.deleteRepository('team', { actor: 'admin' })).toBe(true);
    expect(await index.repositoryStatus('team')).toBeUndefined();
    expect(await index.resolveTag('team', 'v1')).toBeUndefined();
    expect(await index.linkedBlob('team', digest('a/layer'))).toBeUndefined();
    expect((await index.catalog()).items).toEqual(['team/nested']);
    expect((await index.tagHistory('team')).items[0]).toMatchObject({ tag: 'v1', action: 'delete', actor: 'admin' });
    expect(await index.deleteRepository('team')).toBe(false);
    await expectConsistent(index, 'team/nested');
  });

  test('deletes on an unknown repository create no row', async () => {
    const index = ctx.index();
    expect(await index.deleteTag('ghost', 'v1')).toBeUndefined();
    expect(await index.unlinkBlob('ghost', digest('x'))).toBe(false);
    expect((await index.catalog()).items).toEqual([]);
  });

  test('the origin of a repository is set by the write that creates it', async () => {
    const index = ctx.index();
    await index.linkBlob('cache/library/alpine', digest('l'), 1, { origin: 'cache:docker.io' });
    await index.linkBlob('cache/library/alpine', digest('m'), 1, { origin: 'local' });
    expect((await index.repositoryStatus('cache/library/alpine'))?.origin).toBe('cache:docker.io');
  });

  test('forgetBlobs drops only blobs linked nowhere', async () => {
    const index = ctx.index();
    const m = image('r', 'a');
    await pushImage(index, m);
    const orphan = digest('orphan');
    await index.linkBlob('r', orphan, 7);
    await index.unlinkBlob('r', orphan);
    expect(await index.forgetBlobs([orphan, m.digest, m.configDigest!])).toBe(1);
    expect(await index.blobSize(orphan)).toBeUndefined();
    expect(await index.blobSize(m.digest)).toBe(500);
  });

  test('recountRepository repairs counters that drifted', async () => {
    const index = ctx.index();
    await pushImage(index, image('r', 'a'), ['v1']);
    expect(await index.recountRepository('r')).toBeUndefined();
    const engine = await openEngine(ctx.subject().options.engine);
    try {
      await engine.db.updateTable('repositories').set({ tag_count: 99, size_bytes: 1 }).where('name', '=', 'r').execute();
    } finally {
      await engine.close();
    }
    expect(await index.recountRepository('r')).toEqual({ tagCount: 99, manifestCount: 1, sizeBytes: 1 });
    await expectConsistent(index, 'r');
    expect(await index.recountRepository('absent')).toBeUndefined();
  });

  test('concurrent writes from two instances keep the counters exact', async () => {
    const a = ctx.index();
    const b = await ctx.openAnother();
    const shared = digest('shared');
    const work: Promise<unknown>[] = [];
    for (let i = 0; i < 40; i++) {
      const w = i % 2 ? a : b;
      work.push(w.linkBlob('r', shared, 10));
      work.push(w.linkBlob('r', digest(`own-${i}`), 1));
      work.push(w.setTag('r', `t${i % 7}`, digest(`m-${i}`)));
    }
    await Promise.all(work);
    expect(await a.repositoryStatus('r')).toMatchObject({ tagCount: 7, sizeBytes: 50 });
    await expectConsistent(a, 'r');
  });

  test('two instances racing to create the same tag, manifest and link count each once', async () => {
    const a = ctx.index();
    const b = await ctx.openAnother();
    const m = image('race', 'm');
    for (let round = 0; round < 10; round++) {
      await Promise.all([
        a.recordManifest(m, { tags: [`t${round}`, 'latest'] }), b.recordManifest(m, { tags: [`t${round}`, 'latest'] }),
        a.linkBlob('race', digest(`l${round}`), 3), b.linkBlob('race', digest(`l${round}`), 3),
        a.deleteTag('race', `t${round - 1}`), b.deleteTag('race', `t${round - 1}`),
      ]);
    }
    expect(await a.repositoryStatus('race')).toMatchObject({ tagCount: 2, manifestCount: 1, sizeBytes: 500 + 10 * 3 });
    await expectConsistent(a, 'race');
    const deletions = (await a.tagHistory('race', { tag: 't0' })).items.filter((e) => e.action === 'delete');
    expect(deletions).toHaveLength(1);
  });
}
