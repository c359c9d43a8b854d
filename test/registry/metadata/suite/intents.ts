// The write journal: entries opened before a storage write, closed by the index
// write that mirrors it (in the same transaction) or explicitly, and listed when
// they outlive their write.
import type { SuiteContext } from '../index-suite.js';

const D = (c: string) => `sha256:${c.repeat(64)}`;

export function intentTests(ctx: SuiteContext): void {
  test('an index write closes its journal entry in the same transaction', async () => {
    const index = ctx.index();
    const intent = await index.openIntent('j/app', 'blob-link', 1000);
    expect(await index.openIntentsFor('j/app')).toBe(1);
    await index.linkBlob('j/app', D('a'), 10, { intent });
    expect(await index.openIntentsFor('j/app')).toBe(0);
  });

  test('an entry left open is listed once it is older than asked, oldest first, and closes explicitly', async () => {
    const index = ctx.index();
    const older = await index.openIntent('j/one', 'manifest-put', 1000);
    const newer = await index.openIntent('j/two', 'tag-delete', 2000);
    expect((await index.staleIntents(1500)).map((i) => [i.id, i.repo, i.operation])).toEqual([[older, 'j/one', 'manifest-put']]);
    expect((await index.staleIntents(3000)).map((i) => i.id)).toEqual([older, newer]);
    await index.closeIntent(older);
    await index.closeIntent(newer);
    expect(await index.staleIntents(3000)).toEqual([]);
  });
}
