// Pages: tags (n/last), the catalog (patterns, filters), the UI's repository list,
// referrers. Edges: empty, exact multiples of the page size, `last` outside the
// range, byte order.
import { MetadataCursorError } from '../../../../registry/src/metadata/index.js';
import type { SuiteContext } from '../index-suite.js';
import { collect, digest, image, pushImage } from '../fixtures.js';

/** Follows `next` until the end, checking no page exceeds n. */
async function pages<T>(n: number, fetch: (last?: string) => Promise<{ items: T[]; next?: string }>): Promise<T[][]> {
  const out: T[][] = [];
  let last: string | undefined;
  for (let i = 0; i < 1000; i++) {
    const page = await fetch(last);
    expect(page.items.length).toBeLessThanOrEqual(n);
    out.push(page.items);
    if (!page.next) return out;
    last = page.next;
  }
  throw new Error('pagination did not end');
}

export function listingTests(ctx: SuiteContext): void {
  test('tag names come in byte order, n at a time, with next only when more follow', async () => {
    const index = ctx.index();
    const tags = ['v1', 'V2', 'latest', '1.0', 'a-b', 'a.b', 'a_b', 'z'];
    for (const t of tags) await index.setTag('r', t, digest(t));
    const sorted = [...tags].sort();
    expect(sorted).toEqual(['1.0', 'V2', 'a-b', 'a.b', 'a_b', 'latest', 'v1', 'z']);
    expect((await index.tagNames('r')).items).toEqual(sorted);
    expect((await index.tagNames('r')).next).toBeUndefined();
    expect((await pages(3, (last) => index.tagNames('r', { n: 3, last }))).flat()).toEqual(sorted);
    // An exact multiple of n: the last full page says nothing more follows.
    expect(await pages(4, (last) => index.tagNames('r', { n: 4, last }))).toEqual([sorted.slice(0, 4), sorted.slice(4)]);
    expect(await index.tagNames('r', { n: 8 })).toEqual({ items: sorted });
    expect(await index.tagNames('r', { last: 'zz' })).toEqual({ items: [] });
    expect((await index.tagNames('r', { last: '0' })).items).toEqual(sorted);
    expect((await index.tagNames('r', { last: 'a.b', n: 2 }))).toEqual({ items: ['a_b', 'latest'], next: 'latest' });
    expect(await index.tagNames('absent')).toEqual({ items: [] });
    expect((await index.tagNames('r', { n: 0 })).items).toHaveLength(1); // clamped to at least one
  });

  test('tag pages carry each tag\'s manifest metadata and last pull', async () => {
    const index = ctx.index();
    const m = image('r', 'a', { created: 1_000, platform: { os: 'linux', architecture: 'amd64' } });
    await pushImage(index, m, ['v1', 'v2'], 2_000);
    await index.setTag('r', 'dangling', digest('not-indexed'), { at: 3_000 });
    await index.recordPulls([{ repo: 'r', digest: m.digest, tag: 'v1', at: 5_000 }, { repo: 'r', digest: m.digest, at: 6_000 }]);
    const { items } = await index.tagPage('r');
    expect(items).toEqual([
      { tag: 'dangling', digest: digest('not-indexed'), pushedAt: 3_000 },
      { tag: 'v1', digest: m.digest, pushedAt: 2_000, pushedBy: 'ci', mediaType: m.mediaType, artifactType: m.artifactType, size: 500,
        created: 1_000, platforms: [{ os: 'linux', architecture: 'amd64' }], lastPulledAt: 6_000 },
      { tag: 'v2', digest: m.digest, pushedAt: 2_000, pushedBy: 'ci', mediaType: m.mediaType, artifactType: m.artifactType, size: 500,
        created: 1_000, platforms: [{ os: 'linux', architecture: 'amd64' }], lastPulledAt: 6_000 },
    ]);
    expect((await pages(2, (last) => index.tagPage('r', { n: 2, last }))).flat().map((t) => t.tag)).toEqual(['dangling', 'v1', 'v2']);
  });

  test('allTags reads every tag in slices', async () => {
    const index = ctx.index();
    const names = Array.from({ length: 25 }, (_, i) => `t${String(i).padStart(3, '0')}`);
    for (const t of names) await index.setTag('r', t, digest(t));
    // Between slices the event loop turns (a timer set before the listing runs before it ends).
    let timerRan = false;
    setTimeout(() => { timerRan = true; }, 0);
    const seenBeforeEnd: boolean[] = [];
    const all: string[] = [];
    for await (const slice of index.allTags('r', 10)) {
      all.push(...slice.map((t) => t.tag));
      seenBeforeEnd.push(timerRan);
    }
    expect(all).toEqual(names);
    expect(seenBeforeEnd.at(-1)).toBe(true);
    expect(await collect(index.allTags('absent'))).toEqual([]);
  });

  test('the catalog pages names in byte order', async () => {
    const index = ctx.index();
    const names = ['b', 'a/x', 'a', 'a-b', 'a/y/z', 'c'];
    for (const n of names) await index.linkBlob(n, digest(n), 1);
    const sorted = [...names].sort();
    expect((await index.catalog()).items).toEqual(sorted);
    expect((await pages(2, (last) => index.catalog({ n: 2, last }))).flat()).toEqual(sorted);
    expect(await pages(3, (last) => index.catalog({ n: 3, last }))).toEqual([sorted.slice(0, 3), sorted.slice(3)]);
    expect(await index.catalog({ last: 'c' })).toEqual({ items: [] });
  });

  test('the catalog lists only names an allowed pattern matches', async () => {
    const index = ctx.index();
    for (const n of ['team-a/app', 'team-a/sub/lib', 'team-ab/x', 'team-b/app', 'team-a', 'other']) await index.linkBlob(n, digest(n), 1);
    expect((await index.catalog({ allow: ['team-a/**'] })).items).toEqual(['team-a/app', 'team-a/sub/lib']);
    expect((await index.catalog({ allow: ['team-a/*'] })).items).toEqual(['team-a/app']);
    expect((await index.catalog({ allow: ['team-a', 'other'] })).items).toEqual(['other', 'team-a']);
    expect((await index.catalog({ allow: ['*/app'] })).items).toEqual(['team-a/app', 'team-b/app']);
    expect((await index.catalog({ allow: ['**'] })).items).toHaveLength(6);
    expect((await index.catalog({ allow: [] })).items).toEqual([]);
    expect((await pages(1, (last) => index.catalog({ allow: ['team-a/**', 'team-b/*'], n: 1, last }))).flat())
      .toEqual(['team-a/app', 'team-a/sub/lib', 'team-b/app']);
  });

  test('a filtered catalog stays bounded: it returns a short page with next after maxScan rows', async () => {
    const index = ctx.index();
    const names = Array.from({ length: 30 }, (_, i) => `repo-${String(i).padStart(2, '0')}`);
    for (const n of names) await index.linkBlob(n, digest(n), 1);
    const visible = (n: string) => n.endsWith('7');
    expect((await index.catalog({ filter: visible })).items).toEqual(['repo-07', 'repo-17', 'repo-27']);
    const all: string[] = [];
    let last: string | undefined;
    let requests = 0;
    do {
      const page = await index.catalog({ filter: visible, n: 2, last, maxScan: 1 });
      all.push(...page.items);
      last = page.next;
      requests++;
    } while (last && requests < 100);
    expect(all).toEqual(['repo-07', 'repo-17', 'repo-27']);
  });

  test('the repository list searches, sorts by name, last push or size, and pages with a cursor', async () => {
    const index = ctx.index();
    const specs: [string, number, number][] = [['alpha', 30, 3], ['beta', 10, 1], ['gamma', 20, 2], ['delta', 20, 5], ['alphabet', 40, 4]];
    for (const [name, at, blobs] of specs) {
      for (let i = 0; i < blobs; i++) await index.linkBlob(name, digest(`${name}-${i}`), 100);
      await index.setTag(name, 'v', digest(name), { at });
    }
    const collectAll = async (query: Parameters<typeof index.repositories>[0]) => {
      const out: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await index.repositories({ ...query, limit: 2, cursor });
        out.push(...page.items.map((r) => r.name));
        cursor = page.next;
      } while (cursor);
      return out;
    };
    expect(await collectAll({})).toEqual(['alpha', 'alphabet', 'beta', 'delta', 'gamma']);
    expect(await collectAll({ sort: 'lastPush' })).toEqual(['alphabet', 'alpha', 'gamma', 'delta', 'beta']);
    expect(await collectAll({ sort: 'size' })).toEqual(['delta', 'alphabet', 'alpha', 'gamma', 'beta']);
    expect(await collectAll({ search: 'ALPHA' })).toEqual(['alpha', 'alphabet']);
    expect(await collectAll({ search: 'ta', sort: 'size' })).toEqual(['delta', 'beta']);
    expect((await index.repositories({ search: '%' })).items).toEqual([]);
    const first = (await index.repositories({ sort: 'size', limit: 1 })).items[0];
    expect(first).toMatchObject({ name: 'delta', sizeBytes: 500, tagCount: 1, lastPushAt: 20 });
    const nameCursor = (await index.repositories({ limit: 1 })).next!;
    await expect(index.repositories({ sort: 'size', cursor: nameCursor })).rejects.toBeInstanceOf(MetadataCursorError);
    await expect(index.repositories({ cursor: 'not-a-cursor' })).rejects.toBeInstanceOf(MetadataCursorError);
  });

  test('referrers of a subject, filtered by artifact type and paged', async () => {
    const index = ctx.index();
    const subject = image('r', 'subject');
    await pushImage(index, subject, ['v1']);
    const sig = image('r', 'sig', { subject: subject.digest, artifactType: 'application/vnd.dev.cosign.signature', annotations: { a: 'b' } });
    const sbom = image('r', 'sbom', { subject: subject.digest, artifactType: 'application/spdx+json' });
    const elsewhere = image('other', 'sig2', { subject: subject.digest });
    for (const m of [sig, sbom, elsewhere]) await pushImage(index, m);
    const all = await index.referrers('r', subject.digest);
    expect(all.items.map((d) => d.digest).sort()).toEqual([sig.digest, sbom.digest].sort());
    expect(all.items.find((d) => d.digest === sig.digest)).toEqual({
      mediaType: sig.mediaType, digest: sig.digest, size: 500, artifactType: 'application/vnd.dev.cosign.signature', annotations: { a: 'b' },
    });
    expect((await index.referrers('r', subject.digest, { artifactType: 'application/spdx+json' })).items.map((d) => d.digest)).toEqual([sbom.digest]);
    expect((await index.referrers('r', subject.digest, { artifactType: 'none' })).items).toEqual([]);
    expect((await index.referrers('r', digest('nothing'))).items).toEqual([]);
    const paged = await pages(1, (after) => index.referrers('r', subject.digest, { limit: 1, after }));
    expect(paged.flat().map((d) => d.digest)).toEqual([sig.digest, sbom.digest].sort());
  });

  test('repository names and blobs are read in slices', async () => {
    const index = ctx.index();
    for (let i = 0; i < 12; i++) await index.linkBlob(`r${String(i).padStart(2, '0')}`, digest(`b${i}`), i);
    expect((await collect(index.repositoryNames(5)))).toHaveLength(12);
    const blobs = await collect(index.allBlobs(5));
    expect(blobs).toHaveLength(12);
    expect(blobs.map((b) => b.digest)).toEqual([...blobs.map((b) => b.digest)].sort());
  });
}
