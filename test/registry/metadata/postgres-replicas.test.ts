// What only PostgreSQL does: replicas (two index instances, each with its own pool
// and LISTEN connection) hear of each other's changes within 1 s; a dropped LISTEN
// connection is reported and recovered with an `all` invalidation; a stopped
// database turns every call into MetadataUnavailableError, and everything recovers
// when it is back.
import pg from 'pg';
import { MetadataIndex, MetadataUnavailableError, type Invalidation } from '../../../registry/src/metadata/index.js';
import { CHANNEL } from '../../../registry/src/metadata/invalidations/postgres-channel.js';
import { startPostgres, type PostgresServer } from '../../harness/postgres.js';
import { digest } from './fixtures.js';

/** The window within which a replica must drop a changed key (issue: "within 1 s; never later"). */
const WINDOW_MS = 1_000;

/** Resolves with the first event batch matching `predicate`, or rejects after `timeoutMs`. */
function nextEvent(index: MetadataIndex, predicate: (e: Invalidation) => boolean, timeoutMs = WINDOW_MS): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      unsubscribe();
      reject(new Error(`no matching invalidation within ${timeoutMs} ms`));
    }, timeoutMs);
    const unsubscribe = index.invalidations.subscribe((events) => {
      if (!events.some(predicate)) return;
      clearTimeout(timer);
      unsubscribe();
      resolve(performance.now() - started);
    });
  });
}

function waitFor(check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const poll = () => {
      if (check()) resolve();
      else if (Date.now() > deadline) reject(new Error(`condition not met within ${timeoutMs} ms`));
      else setTimeout(poll, 20);
    };
    poll();
  });
}

describe('metadata index on PostgreSQL: replicas', () => {
  let server: PostgresServer;
  let a: MetadataIndex;
  let b: MetadataIndex;
  let url: string;

  beforeAll(async () => {
    server = await startPostgres();
  });

  afterAll(async () => {
    await server?.stop();
  });

  beforeEach(async () => {
    url = await server.createDatabase();
    [a, b] = await Promise.all([MetadataIndex.open({ engine: { engine: 'postgres', url } }), MetadataIndex.open({ engine: { engine: 'postgres', url } })]);
  });

  afterEach(async () => {
    await a?.close();
    await b?.close();
  });

  test('a tag move, a link change and a repository delete on A reach B within 1 s, each time', async () => {
    const latencies: number[] = [];
    for (let i = 0; i < 20; i++) {
      const heard = nextEvent(b, (e) => e.kind === 'tag' && e.repo === 'r' && e.tag === 'latest');
      await a.setTag('r', 'latest', digest(`d${i}`));
      latencies.push(await heard);
      // B reads the new value, not a cached one: the event came after the commit.
      expect(await b.resolveTag('r', 'latest')).toBe(digest(`d${i}`));
    }
    const link = nextEvent(b, (e) => e.kind === 'link' && e.digest === digest('blob'));
    await a.linkBlob('r', digest('blob'), 1);
    latencies.push(await link);
    const gone = nextEvent(b, (e) => e.kind === 'repository' && e.repo === 'r');
    await a.deleteRepository('r');
    latencies.push(await gone);
    expect(Math.max(...latencies)).toBeLessThan(WINDOW_MS);
  });

  test('the writer hears its own change once, at commit; a rolled-back write is heard by nobody', async () => {
    const seenByA: Invalidation[] = [];
    const seenByB: Invalidation[] = [];
    a.invalidations.subscribe((e) => seenByA.push(...e));
    b.invalidations.subscribe((e) => seenByB.push(...e));
    const heard = nextEvent(b, (e) => e.kind === 'tag');
    await a.setTag('r', 'v1', digest('x'));
    await heard;
    // A write the database refuses halfway (a size that is not an integer) rolls back whole.
    await expect(a.recordManifest({ repo: 'r', digest: digest('m'), mediaType: 'x', size: Number.NaN, refs: [] }, { tags: ['v2'] })).rejects.toThrow();
    await new Promise((r) => setTimeout(r, 300));
    expect(seenByA.filter((e) => e.kind === 'tag')).toEqual([{ kind: 'tag', repo: 'r', tag: 'v1' }]);
    expect(seenByB.filter((e) => e.kind !== 'all')).toEqual([{ kind: 'tag', repo: 'r', tag: 'v1' }]);
    expect(await b.resolveTag('r', 'v2')).toBeUndefined();
  });

  test('many changes in one transaction arrive complete, split over several notifications', async () => {
    const seen = new Set<string>();
    b.invalidations.subscribe((events) => {
      for (const e of events) if (e.kind === 'tag') seen.add(e.tag);
    });
    const tags = Array.from({ length: 300 }, (_, i) => `a-rather-long-tag-name-to-fill-the-payload-${i}`);
    const m = { repo: 'r', digest: digest('m'), mediaType: 'application/vnd.oci.image.manifest.v1+json', size: 1, refs: [] };
    await a.recordManifest(m, { tags });
    await waitFor(() => seen.size === tags.length, WINDOW_MS);
  });

  test('a dropped LISTEN connection is reported, re-established, and followed by an `all` invalidation', async () => {
    const states: boolean[] = [];
    b.invalidations.onConnectionChange((c) => states.push(c));
    const all = nextEvent(b, (e) => e.kind === 'all', 10_000);
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      const { rowCount } = await admin.query(
        `select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()
           and pid in (select pid from pg_stat_activity where query in ($1, 'select 1') and application_name = 'berth-registry')`,
        [`LISTEN ${CHANNEL}`]);
      expect(rowCount).toBeGreaterThan(0);
    } finally {
      await admin.end();
    }
    await all;
    expect(states[0]).toBe(false);
    await waitFor(() => b.invalidations.connected, 10_000);
    const heard = nextEvent(b, (e) => e.kind === 'tag');
    await a.setTag('r', 'after', digest('after'));
    await heard;
  });

  test('with the database stopped every call fails as unavailable, and all recovers when it is back', async () => {
    await a.setTag('r', 'v1', digest('x'));
    await server.pause();
    try {
      await expect(a.resolveTag('r', 'v1')).rejects.toBeInstanceOf(MetadataUnavailableError);
      await expect(a.setTag('r', 'v2', digest('y'))).rejects.toBeInstanceOf(MetadataUnavailableError);
      await expect(a.catalog()).rejects.toBeInstanceOf(MetadataUnavailableError);
      await waitFor(() => !b.invalidations.connected, WINDOW_MS);
    } finally {
      await server.resume();
    }
    expect(await a.resolveTag('r', 'v1')).toBe(digest('x'));
    await waitFor(() => b.invalidations.connected, 10_000);
    const heard = nextEvent(b, (e) => e.kind === 'tag' && e.tag === 'v2');
    await a.setTag('r', 'v2', digest('y'));
    await heard;
  });
});
