// The cache's size budget counts what an upstream's repositories hold from the
// metadata index (no storage at all is given to it here), each digest once, and
// keeps the count current from the write path's events.
import { createHash } from 'node:crypto';
import { upstreamSchema } from '#contract/config/mirror.js';
import { createLogger } from '../log.js';
import { MetadataIndex } from '../metadata/index.js';
import { Metrics } from '../metrics/metrics.js';
import { requireDigest } from '../reference.js';
import { Namespaces } from './addressing.js';
import { CacheBudget } from './cache-budget.js';
import { Upstream } from './upstream.js';

const digest = (seed: string) => `sha256:${createHash('sha256').update(seed).digest('hex')}`;
const actor = { subject: 'test' };

let index: MetadataIndex;
beforeEach(async () => { index = await MetadataIndex.open({ engine: { engine: 'sqlite', path: ':memory:' } }); });
afterEach(async () => { await index.close(); });

async function push(repo: string, seed: string, layers: Array<[string, number]>, size: number): Promise<string> {
  for (const [d, s] of layers) await index.linkBlob(repo, d, s);
  const m = digest(`${seed}/manifest`);
  await index.recordManifest({ repo, digest: m, mediaType: 'application/vnd.oci.image.manifest.v1+json', size, refs: layers.map(([d, s]) => ({ digest: d, kind: 'layer' as const, size: s })) });
  return m;
}

test('usage is counted from the index, each digest once, kept current by writes, and eviction is asked for when a fill does not fit', async () => {
  const shared = digest('shared');
  const alpine = await push('docker.io/library/alpine', 'alpine', [[shared, 1000], [digest('a'), 200]], 50);
  await push('docker.io/acme/app', 'app', [[shared, 1000]], 60);
  await push('team/app', 'local', [[shared, 1000], [digest('local'), 5000]], 70); // a local repository: never counted

  const metrics = new Metrics({ defaultMetrics: false });
  const upstream = await Upstream.open(upstreamSchema.parse({ host: 'docker.io', url: 'http://127.0.0.1:9', maxSizeBytes: 2000 }), createLogger('silent'), metrics, 4 << 20);
  const asked: number[] = [];
  const budget = new CacheBudget(index, metrics, new Namespaces([upstream]), { evict: async (_u, _used, target) => { asked.push(target); return 0; } });
  try {
    expect(await budget.used(upstream)).toBe(1000 + 200 + 50 + 60);

    // A layer linked into another cached repository is the same bytes; a new one counts.
    budget.onWrite({ kind: 'blob-linked', repo: 'docker.io/acme/app', digest: requireDigest(digest('a')), size: 200, actor });
    budget.onWrite({ kind: 'blob-linked', repo: 'docker.io/acme/app', digest: requireDigest(digest('b')), size: 300, actor });
    expect(await budget.used(upstream)).toBe(1610);
    // Unlinked from one holder only: still held.
    budget.onWrite({ kind: 'blob-unlinked', repo: 'docker.io/library/alpine', digest: requireDigest(digest('a')), actor });
    expect(await budget.used(upstream)).toBe(1610);
    budget.onWrite({ kind: 'manifest-deleted', repo: 'docker.io/library/alpine', digest: requireDigest(alpine), tags: [], actor });
    expect(await budget.used(upstream)).toBe(1560);

    const room = await budget.reserve(upstream, 400);
    expect(room).toBeDefined();
    expect(await budget.used(upstream)).toBe(1960);
    room!.release();
    expect(asked).toEqual([]);
    // 1560 + 500 > 2000 and nothing is evicted: no room, after asking to come down to 1500.
    expect(await budget.reserve(upstream, 500)).toBeUndefined();
    expect(asked).toEqual([1500]);
  } finally {
    upstream.close();
  }
});
