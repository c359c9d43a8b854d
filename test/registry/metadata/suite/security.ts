// Supply-chain rows: inventories (upserted, sliced by kind), scan results per
// (digest, database) with older databases' results dropped, each (digest,
// advisory) recorded once across instances, announced advisories listed by the
// repository that tags them, signature verdicts, and everything forgotten for a
// collected manifest.
import type { InventoryRecord } from '../../../../registry/src/metadata/index.js';
import type { SuiteContext } from '../index-suite.js';
import { digest, image, pushImage } from '../fixtures.js';

const DB1 = digest('db-1');
const DB2 = digest('db-2');

function inventory(seed: string, kind: InventoryRecord['kind'] = 'image'): InventoryRecord {
  return { digest: digest(seed), kind, source: 'indexer', indexer: 'builtin/1', createdAt: 1_000, ...(kind === 'image' ? { body: `{"packages":["${seed}"]}` } : {}) };
}

export function securityTests(ctx: SuiteContext): void {
  test('inventories are upserted by digest and read back in slices of one kind', async () => {
    const index = ctx.index();
    for (const seed of ['a', 'b', 'c']) await index.putInventory(inventory(seed));
    await index.putInventory({ ...inventory('i', 'index'), children: [digest('a'), digest('b')], platform: undefined });
    await index.setInventorySbom(digest('a'), digest('sbom-a'));
    expect(await index.inventory(digest('a'))).toEqual({ ...inventory('a'), sbomDigest: digest('sbom-a') });
    expect((await index.inventory(digest('i')))?.children).toEqual([digest('a'), digest('b')]);
    const slices: string[][] = [];
    for await (const rows of index.inventories('image', 2)) slices.push(rows.map((r) => r.digest));
    expect(slices.flat().sort()).toEqual([digest('a'), digest('b'), digest('c')].sort());
    expect(slices.map((s) => s.length)).toEqual([2, 1]);
    await index.putInventory({ ...inventory('a'), body: '{"packages":[]}', platform: { os: 'linux', architecture: 'arm64' } });
    expect(await index.inventory(digest('a'))).toMatchObject({ body: '{"packages":[]}', platform: { os: 'linux', architecture: 'arm64' } });
    expect(await index.scanCounts(undefined)).toEqual({ inventories: 4, results: 0 });
  });

  test('a result per (digest, database); storing one against a new database drops the older ones', async () => {
    const index = ctx.index();
    const d = digest('img');
    await index.putScanResult({ digest: d, dbDigest: DB1, status: 'done', report: '{"n":1}', updatedAt: 1 });
    await index.putScanResult({ digest: d, dbDigest: DB1, status: 'done', report: '{"n":2}', updatedAt: 2 });
    expect(await index.scanResult(d, DB1)).toEqual({ digest: d, dbDigest: DB1, status: 'done', report: '{"n":2}', updatedAt: 2 });
    await index.putScanResult({ digest: d, dbDigest: DB2, status: 'failed', report: '{"reason":"x"}', updatedAt: 3 });
    expect(await index.scanResult(d, DB1)).toBeUndefined();
    expect(await index.scanResult(d, DB2)).toMatchObject({ status: 'failed' });
    expect(await index.scanCounts(DB2)).toEqual({ inventories: 0, results: 1 });
  });

  test('each (digest, advisory) is recorded once, even by two instances at once, and only re-match finds are announced', async () => {
    const index = ctx.index();
    const other = await ctx.openAnother();
    const m = image('team/app', 'app');
    await pushImage(index, m, ['v1', 'latest']);
    const s = (id: string) => ({ vulnId: id, severity: 'High', package: 'openssl' });
    expect(await index.recordSightings(m.digest, [s('CVE-1'), s('CVE-2')], DB1, false)).toEqual(['CVE-1', 'CVE-2']);
    const [a, b] = await Promise.all([
      index.recordSightings(m.digest, [s('CVE-2'), s('CVE-3'), s('CVE-4')], DB2, true),
      other.recordSightings(m.digest, [s('CVE-3'), s('CVE-4')], DB2, true),
    ]);
    expect([...a, ...b].sort()).toEqual(['CVE-3', 'CVE-4']);
    const page = await index.announcedVulnerabilities('team/app');
    expect(page.items.map((v) => [v.vulnId, v.tags, v.dbDigest])).toEqual([['CVE-3', ['latest', 'v1'], DB2], ['CVE-4', ['latest', 'v1'], DB2]]);
    expect((await index.announcedVulnerabilities('team/app', page.items[0].id)).items.map((v) => v.vulnId)).toEqual(['CVE-4']);
    const first = await index.announcedVulnerabilities('team/app', 0, 1);
    expect([first.items.map((v) => v.vulnId), first.next]).toEqual([['CVE-3'], String(first.items[0].id)]);
    expect((await index.announcedVulnerabilities('elsewhere')).items).toEqual([]);
    expect(await index.placesOf(m.digest)).toEqual([{ repo: 'team/app', tags: ['latest', 'v1'] }]);
  });

  test('signature verdicts per (repository, digest, key set), and everything forgotten for a collected manifest', async () => {
    const index = ctx.index();
    const d = digest('signed');
    await index.putSignatureVerdict({ repo: 'r', digest: d, keyset: 'k1', signed: false, verdict: '{}', updatedAt: 1 });
    await index.putSignatureVerdict({ repo: 'r', digest: d, keyset: 'k1', signed: true, verdict: '{"ok":1}', updatedAt: 2 });
    expect(await index.signatureVerdict('r', d, 'k1')).toEqual({ repo: 'r', digest: d, keyset: 'k1', signed: true, verdict: '{"ok":1}', updatedAt: 2 });
    expect(await index.signatureVerdict('other', d, 'k1')).toBeUndefined();
    // The same digest checked in another repository: each repository reads its own verdicts, one per key set.
    await index.putSignatureVerdict({ repo: 'mirror/r', digest: d, keyset: 'k1', signed: false, verdict: '{"ok":0}', updatedAt: 3 });
    await index.putSignatureVerdict({ repo: 'r', digest: d, keyset: 'k2', signed: false, verdict: '{}', updatedAt: 4 });
    expect((await index.signatureVerdicts('r', [d, d])).get(d)).toEqual([
      { digest: d, keyset: 'k1', verdict: { ok: 1 }, updatedAt: 2 }, { digest: d, keyset: 'k2', verdict: {}, updatedAt: 4 },
    ]);
    expect((await index.signatureVerdicts('mirror/r', [d])).get(d)).toEqual([{ digest: d, keyset: 'k1', verdict: { ok: 0 }, updatedAt: 3 }]);
    expect((await index.signatureVerdicts('elsewhere', [d])).size).toBe(0);
    await index.putInventory({ ...inventory('signed'), digest: d });
    await index.putScanResult({ digest: d, dbDigest: DB1, status: 'done', updatedAt: 1 });
    await index.recordSightings(d, [{ vulnId: 'CVE-9', severity: 'Low', package: 'x' }], DB1, false);
    await index.forgetSecurity([d]);
    expect([await index.inventory(d), await index.scanResult(d, DB1), await index.signatureVerdict('r', d, 'k1')]).toEqual([undefined, undefined, undefined]);
    expect(await index.recordSightings(d, [{ vulnId: 'CVE-9', severity: 'Low', package: 'x' }], DB1, false)).toEqual(['CVE-9']);
  });
}
