// Tags: set, move, delete, restore, history and its pages.
import { MetadataCursorError } from '../../../../registry/src/metadata/index.js';
import type { SuiteContext } from '../index-suite.js';
import { digest, expectConsistent, image, pushImage } from '../fixtures.js';

export function tagTests(ctx: SuiteContext): void {
  test('setTag returns the previous digest and records each change', async () => {
    const index = ctx.index();
    const [d1, d2] = [digest('one'), digest('two')];
    expect(await index.setTag('r', 'v', d1, { actor: 'ci', at: 1 })).toBeUndefined();
    expect(await index.setTag('r', 'v', d2, { actor: 'ci', at: 2 })).toBe(d1);
    expect(await index.setTag('r', 'v', d1, { actor: 'alice', at: 3, action: 'restore' })).toBe(d2);
    expect(await index.resolveTag('r', 'v')).toBe(d1);
    const history = (await index.tagHistory('r', { tag: 'v' })).items.map(({ id: _id, ...e }) => e);
    expect(history).toEqual([
      { tag: 'v', action: 'restore', digest: d1, previousDigest: d2, actor: 'alice', at: 3 },
      { tag: 'v', action: 'push', digest: d2, previousDigest: d1, actor: 'ci', at: 2 },
      { tag: 'v', action: 'push', digest: d1, actor: 'ci', at: 1 },
    ]);
    expect((await index.repositoryStatus('r'))?.tagCount).toBe(1);
    expect((await index.repositoryStatus('r'))?.lastPushAt).toBe(3);
  });

  test('re-pushing a tag to the same digest refreshes its time without history', async () => {
    const index = ctx.index();
    const d = digest('one');
    await index.setTag('r', 'v', d, { at: 1 });
    await index.setTag('r', 'v', d, { at: 5, actor: 'bob' });
    expect((await index.tagHistory('r')).items).toHaveLength(1);
    expect((await index.tagPage('r')).items[0]).toMatchObject({ tag: 'v', pushedAt: 5, pushedBy: 'bob' });
  });

  test('last push never goes back in time', async () => {
    const index = ctx.index();
    await index.setTag('r', 'a', digest('1'), { at: 10 });
    await index.setTag('r', 'b', digest('2'), { at: 5 });
    expect((await index.repositoryStatus('r'))?.lastPushAt).toBe(10);
  });

  test('deleteTag returns what it pointed to and records the deletion', async () => {
    const index = ctx.index();
    const d = digest('one');
    await index.setTag('r', 'v', d);
    await index.setTag('r', 'w', d);
    expect(await index.deleteTag('r', 'v', { actor: 'alice', at: 9 })).toBe(d);
    expect(await index.deleteTag('r', 'v')).toBeUndefined();
    expect(await index.resolveTag('r', 'v')).toBeUndefined();
    expect((await index.tagHistory('r', { tag: 'v' })).items[0]).toMatchObject({ action: 'delete', previousDigest: d, actor: 'alice', at: 9 });
    expect((await index.repositoryStatus('r'))?.tagCount).toBe(1);
    await expectConsistent(index, 'r');
  });

  test('tag history pages newest first with a cursor, per tag or per repository', async () => {
    const index = ctx.index();
    for (let i = 0; i < 7; i++) await index.setTag('r', i % 2 ? 'odd' : 'even', digest(`d${i}`), { at: i });
    const seen: number[] = [];
    let cursor: string | undefined;
    do {
      const page = await index.tagHistory('r', { limit: 3, cursor });
      seen.push(...page.items.map((e) => e.at));
      cursor = page.next;
    } while (cursor);
    expect(seen).toEqual([6, 5, 4, 3, 2, 1, 0]);
    expect((await index.tagHistory('r', { tag: 'odd' })).items.map((e) => e.at)).toEqual([5, 3, 1]);
    expect((await index.tagHistory('other')).items).toEqual([]);
    await expect(index.tagHistory('r', { cursor: 'garbage' })).rejects.toBeInstanceOf(MetadataCursorError);
  });

  test('tags pushed with a manifest are recorded as pushes by its actor', async () => {
    const index = ctx.index();
    const m = image('r', 'a');
    await pushImage(index, m, ['v1'], 7);
    expect((await index.tagHistory('r')).items[0]).toMatchObject({ tag: 'v1', action: 'push', digest: m.digest, actor: 'ci', at: 7 });
  });
}
