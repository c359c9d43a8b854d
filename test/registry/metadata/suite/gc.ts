// Quota usage (unique digests across a scope's repositories) and GC's mark phase.
import type { RepositoryMark } from '../../../../registry/src/metadata/index.js';
import type { SuiteContext } from '../index-suite.js';
import { digest, image, indexOf, pushImage } from '../fixtures.js';

export function gcTests(ctx: SuiteContext): void {
  test('scope usage counts each digest once across the scope, and nothing outside it', async () => {
    const index = ctx.index();
    const shared = digest('base-layer');
    await pushImage(index, image('team-a/web', 'web', { layers: [shared, digest('web-layer')] }), ['v1']);
    await pushImage(index, image('team-a/api', 'api', { layers: [shared] }), ['v1']);
    await pushImage(index, image('team-a/sub/deep', 'deep', { layers: [shared] }), ['v1']);
    await pushImage(index, image('team-b/web', 'b', { layers: [shared, digest('b-layer')] }), ['v1']);
    // team-a/**: 3 manifests (500) + 3 configs (100) + shared + web-layer (1000)
    expect(await index.scopeUsage('team-a/**')).toEqual({ bytes: 3 * 500 + 3 * 100 + 2 * 1000, digests: 8, repositories: 3 });
    // team-a/*: web and api only
    expect(await index.scopeUsage('team-a/*')).toEqual({ bytes: 2 * 500 + 2 * 100 + 2 * 1000, digests: 6, repositories: 2 });
    expect(await index.scopeUsage('team-b/web')).toEqual({ bytes: 500 + 100 + 2 * 1000, digests: 4, repositories: 1 });
    expect(await index.scopeUsage('**')).toEqual({ bytes: 4 * 500 + 4 * 100 + 3 * 1000, digests: 11, repositories: 4 });
    expect(await index.scopeUsage('nobody/**')).toEqual({ bytes: 0, digests: 0, repositories: 0 });
    await expect(index.scopeUsage('Bad Pattern')).rejects.toThrow(/pattern/);
  });

  test('usage follows unlinks and deletes', async () => {
    const index = ctx.index();
    const m = image('team-a/web', 'web');
    await pushImage(index, m, ['v1']);
    await index.deleteManifest('team-a/web', m.digest);
    expect((await index.scopeUsage('team-a/**')).bytes).toBe(1100); // config + layer still linked
    for (const r of m.refs) await index.unlinkBlob('team-a/web', r.digest);
    expect((await index.scopeUsage('team-a/**')).bytes).toBe(0);
  });

  async function markOf(ctx: SuiteContext, options: Parameters<ReturnType<SuiteContext['index']>['gcMark']>[0]): Promise<Map<string, RepositoryMark>> {
    const out = new Map<string, RepositoryMark>();
    for await (const m of ctx.index().gcMark(options)) out.set(m.repo, m);
    return out;
  }

  test('mark: tags, index children and referrers of live manifests are live; the rest is garbage', async () => {
    const index = ctx.index();
    const child = image('r', 'child');
    const idx = indexOf('r', 'idx', [{ digest: child.digest, platform: { os: 'linux', architecture: 'amd64' } }]);
    const sig = image('r', 'sig', { subject: idx.digest });
    const sigOfSig = image('r', 'sig2', { subject: sig.digest });
    const untagged = image('r', 'untagged');
    const orphanRef = image('r', 'orphan-ref', { subject: digest('deleted-subject') });
    for (const m of [child, sig, sigOfSig, untagged, orphanRef]) await pushImage(index, m, [], 100);
    await index.recordManifest(idx, { tags: ['latest'], at: 100 });
    await index.linkBlob('r', digest('stray'), 5, { at: 100 });

    const keepUntagged = (await markOf(ctx, { cutoff: 1_000, deleteUntagged: false })).get('r')!;
    expect([...keepUntagged.live].sort()).toEqual([child.digest, idx.digest, sig.digest, sigOfSig.digest, untagged.digest].sort());
    expect(keepUntagged.garbage).toEqual([{ digest: orphanRef.digest, reason: 'subject-deleted' }]);
    expect(keepUntagged.unreferencedLinks.map((l) => l.digest).sort()).toEqual([...orphanRef.refs.map((r) => r.digest), digest('stray')].sort());
    expect(keepUntagged.referencedBlobs.has(child.configDigest!)).toBe(true);

    const strict = (await markOf(ctx, { cutoff: 1_000, deleteUntagged: true })).get('r')!;
    expect(strict.garbage.map((g) => g.digest).sort()).toEqual([untagged.digest, orphanRef.digest].sort());
    expect(strict.garbage.find((g) => g.digest === untagged.digest)?.reason).toBe('untagged');
  });

  test('mark: content pushed after the cutoff or recently touched stays live', async () => {
    const index = ctx.index();
    const old = image('r', 'old');
    const young = image('r', 'young');
    const touched = image('r', 'touched');
    await pushImage(index, old, [], 100);
    await pushImage(index, young, [], 2_000);
    await pushImage(index, touched, [], 100);
    const asked: string[] = [];
    const mark = (await markOf(ctx, {
      cutoff: 1_000, deleteUntagged: true,
      recent: async (d) => { asked.push(d); return d === touched.digest; },
    })).get('r')!;
    expect(mark.garbage.map((g) => g.digest)).toEqual([old.digest]);
    expect(asked.sort()).toEqual([old.digest, touched.digest].sort());
  });

  test('mark visits every repository, each on its own', async () => {
    const index = ctx.index();
    const m = image('a', 'shared');
    await pushImage(index, m, ['v1'], 100);
    await pushImage(index, { ...m, repo: 'b' }, [], 100);
    const marks = await markOf(ctx, { cutoff: 1_000, deleteUntagged: true });
    expect([...marks.keys()]).toEqual(['a', 'b']);
    expect(marks.get('a')!.garbage).toEqual([]);
    expect(marks.get('b')!.garbage).toEqual([{ digest: m.digest, reason: 'untagged' }]);
  });
}
