// Pull times (buffered, batched), the audit table, and invalidations at commit.
import type { Invalidation } from '../../../../registry/src/metadata/index.js';
import type { SuiteContext } from '../index-suite.js';
import { digest, image, pushImage } from '../fixtures.js';

export function pullAuditTests(ctx: SuiteContext): void {
  test('pulls are buffered in memory and written in one batch; the newest time wins', async () => {
    const index = ctx.index();
    const m = image('r', 'a');
    await pushImage(index, m, ['v1']);
    index.recordPull('r', m.digest, 'v1', 1_000);
    index.recordPull('r', m.digest, 'v1', 3_000);
    index.recordPull('r', m.digest, 'v1', 2_000);
    expect((await index.tagPage('r')).items[0].lastPulledAt).toBeUndefined();
    await index.flushPulls();
    expect((await index.tagPage('r')).items[0].lastPulledAt).toBe(3_000);
    // An older time written later does not move it back.
    await index.recordPulls([{ repo: 'r', digest: m.digest, tag: 'v1', at: 500 }]);
    expect((await index.tagPage('r')).items[0].lastPulledAt).toBe(3_000);
    index.recordPull('r', m.digest, undefined, 4_000);
    await index.flushPulls();
    expect((await index.tagPage('r')).items[0].lastPulledAt).toBe(4_000);
  });

  test('buffered pulls are written on close', async () => {
    const other = await ctx.openAnother();
    const m = image('r', 'a');
    await pushImage(other, m, ['v1']);
    other.recordPull('r', m.digest, 'v1', 7_000);
    await other.close();
    expect((await ctx.index().tagPage('r')).items[0].lastPulledAt).toBe(7_000);
  });

  test('audit entries are filtered by column and time, newest first, with a cursor', async () => {
    const index = ctx.index();
    const d = digest('x');
    await index.appendAudit([
      { time: 1, actor: 'alice', action: 'push', repository: 'r', tag: 'v1', digest: d, result: 'ok', detail: { bytes: 10 } },
      { time: 2, actor: 'bob', action: 'delete', repository: 'r', tag: 'v1', result: 'ok' },
      { time: 3, actor: 'alice', action: 'pull', repository: 's', result: 'denied', detail: { reason: 'policy' } },
      { time: 4, action: 'gc', result: 'ok' },
    ]);
    const all = (await index.audit()).items;
    expect(all.map((e) => e.time)).toEqual([4, 3, 2, 1]);
    expect(all[3]).toEqual({ id: all[3].id, time: 1, actor: 'alice', action: 'push', repository: 'r', tag: 'v1', digest: d, result: 'ok', detail: { bytes: 10 } });
    expect((await index.audit({ actor: 'alice' })).items.map((e) => e.time)).toEqual([3, 1]);
    expect((await index.audit({ repository: 'r', action: 'delete' })).items.map((e) => e.time)).toEqual([2]);
    expect((await index.audit({ result: 'denied' })).items.map((e) => e.detail)).toEqual([{ reason: 'policy' }]);
    expect((await index.audit({ since: 2, until: 4 })).items.map((e) => e.time)).toEqual([3, 2]);
    expect((await index.audit({ digest: d, tag: 'v1' })).items.map((e) => e.time)).toEqual([1]);
    const first = await index.audit({ limit: 3 });
    expect(first.items).toHaveLength(3);
    expect((await index.audit({ limit: 3, cursor: first.next })).items.map((e) => e.time)).toEqual([1]);
  });

  test('audit retention prunes by age, oldest first, each slice over the next `limit` records, and nothing while the oldest stays', async () => {
    const index = ctx.index();
    // Times 1..25 in id order, but the 12th record is newer (time 100: a request that ended late).
    const times = Array.from({ length: 25 }, (_, i) => (i === 11 ? 100 : i + 1));
    await index.appendAudit(times.map((time) => ({ time, action: 'push', result: 'ok' })));
    expect(await index.pruneAudit({ limit: 10 })).toBe(0); // no limit configured: nothing goes
    expect(await index.pruneAudit({ before: 1, limit: 10 })).toBe(0); // nothing older than 1
    // Older than 20: the first slice covers the records of times 1-10, the second the next
    // ten (11, 100, 13-20), of which 11 and 13-19 are due.
    expect(await index.pruneAudit({ before: 20, limit: 10 })).toBe(10);
    expect(await index.pruneAudit({ before: 20, limit: 10 })).toBe(8);
    expect(await index.pruneAudit({ before: 20, limit: 10 })).toBe(0);
    expect((await index.audit({ limit: 1000 })).items.map((e) => e.time)).toEqual([25, 24, 23, 22, 21, 20, 100]);
    // The oldest record (time 100) stays while it is not due, and so do the newer ones behind it.
    expect(await index.pruneAudit({ before: 25, limit: 10 })).toBe(0);
    // The next three records after the gaps the earlier slices left: times 100, 20 and 21.
    expect(await index.pruneAudit({ before: 101, limit: 3 })).toBe(3);
    expect((await index.audit({ limit: 1000 })).items.map((e) => e.time)).toEqual([25, 24, 23, 22]);
  });

  test('audit retention keeps the newest `keep` records, whatever their age, and either limit prunes', async () => {
    const index = ctx.index();
    await index.appendAudit(Array.from({ length: 30 }, (_, i) => ({ time: 1_000 + i, actor: `a${i}`, action: 'pull', result: 'ok' })));
    let pruned = 0;
    for (let n; (n = await index.pruneAudit({ keep: 12, limit: 7 })) > 0;) {
      expect(n).toBeLessThanOrEqual(7);
      pruned += n;
    }
    expect(pruned).toBe(18);
    const kept = (await index.audit({ limit: 1000 })).items;
    expect(kept.map((e) => e.actor)).toEqual(Array.from({ length: 12 }, (_, i) => `a${29 - i}`));
    // Both limits: the count keeps 12, the age only records from 1,025 on.
    expect(await index.pruneAudit({ keep: 12, before: 1_025, limit: 100 })).toBe(7);
    expect((await index.audit({ limit: 1000 })).items.map((e) => e.time)).toEqual([1_029, 1_028, 1_027, 1_026, 1_025]);
    // New records after a prune are counted from the newest again.
    await index.appendAudit([{ time: 2_000, action: 'push', result: 'ok' }, { time: 2_001, action: 'push', result: 'ok' }]);
    expect(await index.pruneAudit({ keep: 3, limit: 100 })).toBe(4);
    expect((await index.audit({ limit: 1000 })).items.map((e) => e.time)).toEqual([2_001, 2_000, 1_029]);
    expect(await index.pruneAudit({ keep: 3, before: 1_000, limit: 100 })).toBe(0);
  });

  test('audit retention on an empty table prunes nothing', async () => {
    expect(await ctx.index().pruneAudit({ keep: 1, before: Date.now(), limit: 100 })).toBe(0);
  });

  test('each write tells this process\'s subscribers what changed, once it committed', async () => {
    const index = ctx.index();
    const seen: Invalidation[] = [];
    const unsubscribe = index.invalidations.subscribe((events) => seen.push(...events));
    const m = image('r', 'a');
    await index.linkBlob('r', m.refs[1].digest, 1);
    await index.recordManifest(m, { tags: ['v1'] });
    await index.deleteTag('r', 'v1');
    await index.unlinkBlob('r', m.refs[1].digest);
    await index.deleteManifest('r', m.digest);
    await index.deleteRepository('r');
    await index.deleteTag('r', 'nothing'); // no change, no event
    expect(seen).toEqual([
      { kind: 'link', repo: 'r', digest: m.refs[1].digest },
      { kind: 'manifest', repo: 'r', digest: m.digest },
      { kind: 'tag', repo: 'r', tag: 'v1' },
      { kind: 'tag', repo: 'r', tag: 'v1' },
      { kind: 'link', repo: 'r', digest: m.refs[1].digest },
      { kind: 'manifest', repo: 'r', digest: m.digest },
      { kind: 'repository', repo: 'r' },
    ]);
    unsubscribe();
    await index.setTag('r', 'v2', m.digest);
    expect(seen).toHaveLength(7);
    expect(index.invalidations.connected).toBe(true);
  });
}
