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

export function gcRunTests(ctx: SuiteContext): void {
  test('a run is announced until it ends; writers see any announcement', async () => {
    const index = ctx.index();
    expect((await index.gcRunState()).running).toBe(false);
    const a = await index.announceGcRun(1000);
    const b = await index.announceGcRun(2000);
    expect((await index.gcRunState()).running).toBe(true);
    expect(await index.gcRunAnnounced(a)).toBe(true);
    await index.endGcRun(a);
    expect(await index.gcRunAnnounced(a)).toBe(false);
    expect((await index.gcRunState()).running).toBe(true);
    await index.endGcRun(b);
    expect((await index.gcRunState()).running).toBe(false);
  });

  test('the run state counts every announcement ever made, in the announcing transaction; ending or clearing a run does not uncount it', async () => {
    const index = ctx.index();
    const start = await index.gcRunState();
    expect(start.running).toBe(false);
    const a = await index.announceGcRun(1000);
    expect(await index.gcRunState()).toEqual({ running: true, announced: start.announced + 1 });
    await index.endGcRun(a);
    expect(await index.gcRunState()).toEqual({ running: false, announced: start.announced + 1 });
    const silent = await index.announceGcRun(1000);
    expect(await index.clearSilentGcRuns(3000)).toBe(1);
    expect(await index.gcRunAnnounced(silent)).toBe(false);
    expect(await index.gcRunState()).toEqual({ running: false, announced: start.announced + 2 });
  });

  test('announcements that stopped beating are cleared; a cleared run learns it from its heartbeat', async () => {
    const index = ctx.index();
    const silent = await index.announceGcRun(1000);
    const alive = await index.announceGcRun(1000);
    expect(await index.heartbeatGcRun(alive, 5000)).toBe(true);
    expect(await index.clearSilentGcRuns(3000)).toBe(1);
    expect(await index.gcRunAnnounced(silent)).toBe(false);
    expect(await index.heartbeatGcRun(silent, 6000)).toBe(false);
    expect(await index.gcRunAnnounced(alive)).toBe(true);
    await index.endGcRun(alive);
  });

  test('the open entries of given operations are listed, and each can be asked after', async () => {
    const index = ctx.index();
    const put = await index.openIntent('j/a', 'manifest-put', 1000);
    const link = await index.openIntent('j/a', 'blob-link', 1000);
    const restore = await index.openIntent('j/b', 'tag-restore', 2000);
    expect((await index.openIntentsOf(['manifest-put', 'tag-restore'])).map((i) => [i.id, i.repo])).toEqual([[put, 'j/a'], [restore, 'j/b']]);
    expect(await index.openIntentsOf([])).toEqual([]);
    await index.closeIntent(put);
    expect(await index.intentOpen(put)).toBe(false);
    expect(await index.intentOpen(restore)).toBe(true);
    await index.closeIntent(link);
    await index.closeIntent(restore);
  });
}
