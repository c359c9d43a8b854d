// Listing workloads: a repository with many tags (tags/list) and a registry with
// many repositories (_catalog). Seeding goes through the API on each server (tag
// = manifest PUT; repository = two cross-repository mounts + a manifest PUT) and
// is not timed. A timed "listing" is what a client does to get the whole list:
// GET without `n`, then follow Link headers until there are none (Distribution
// caps page sizes, Berth answers up to 10,000 entries per page).
import { HttpClient, pool } from './http-client.js';
import { mountSmallImage, putManifest, type SmallImage } from './registry-ops.js';
import type { Results } from './results.js';
import type { ServerUnderTest } from './servers.js';

export const SMALL_REPO = 'bench/small';
const TAGS_REPO = 'bench/tags';

async function seed(server: ServerUnderTest, image: SmallImage, tags: number, repos: number): Promise<void> {
  const client = new HttpClient(server.url, 16);
  try {
    await mountSmallImage(client, SMALL_REPO, TAGS_REPO, image, 'seed');
    await pool(tags - 1, 16, (i) => putManifest(client, TAGS_REPO, image, `t${String(i).padStart(5, '0')}`));
    await pool(repos, 16, (i) => mountSmallImage(client, SMALL_REPO, `catalog/r${String(i).padStart(4, '0')}`, image, 'latest'));
  } finally {
    client.close();
  }
}

/** Fetches a whole list by following Link headers; returns the entries and the number of pages. */
async function listAll(client: HttpClient, path: string, key: 'tags' | 'repositories'): Promise<{ entries: number; pages: number }> {
  let next: string | undefined = path;
  let entries = 0;
  let pages = 0;
  while (next) {
    const res = await client.expect(200, 'GET', next);
    entries += ((JSON.parse(res.body.toString()) as Record<string, string[]>)[key] ?? []).length;
    pages++;
    const link = res.headers.link as string | undefined;
    next = link ? /<([^>]+)>/.exec(link)?.[1] : undefined;
  }
  return { entries, pages };
}

export async function measureListing(server: ServerUnderTest, path: string, key: 'tags' | 'repositories', expected: number, connections: number, seconds: number):
  Promise<{ rps: number; p50: number; p99: number; pages: number }> {
  const client = new HttpClient(server.url, connections);
  const latencies: number[] = [];
  let pages = 0;
  const start = performance.now();
  const until = start + seconds * 1000;
  try {
    await Promise.all(Array.from({ length: connections }, async () => {
      while (performance.now() < until) {
        const t0 = performance.now();
        const r = await listAll(client, path, key);
        latencies.push(performance.now() - t0);
        if (r.entries < expected) throw new Error(`${server.name}: ${path} listed ${r.entries} of ${expected} entries`);
        pages = r.pages;
      }
    }));
  } finally {
    client.close();
  }
  const elapsed = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? 0;
  return { rps: latencies.length / elapsed, p50: pct(50), p99: pct(99), pages };
}

export async function runListing(servers: readonly ServerUnderTest[], image: SmallImage, tags: number, repos: number, seconds: number,
  results: Results, progress: (line: string) => void): Promise<void> {
  for (const server of servers) {
    const start = performance.now();
    await seed(server, image, tags, repos);
    progress(`${server.name} [${server.storage}] seeded ${tags} tags and ${repos} repositories in ${((performance.now() - start) / 1000).toFixed(1)} s`);
  }
  // c=1 is one client's latency (the "under a second" figure); c=4 is throughput under contention.
  const cases = [
    { name: `full tag list of ${tags} tags c=1`, path: `/v2/${TAGS_REPO}/tags/list`, key: 'tags' as const, expected: tags, concurrency: 1 },
    { name: `full tag list of ${tags} tags c=4`, path: `/v2/${TAGS_REPO}/tags/list`, key: 'tags' as const, expected: tags, concurrency: 4 },
    { name: `full catalog of ${repos}+ repositories c=4`, path: '/v2/_catalog', key: 'repositories' as const, expected: repos, concurrency: 4 },
  ];
  for (const [i, c] of cases.entries()) {
    for (const server of i % 2 === 0 ? servers : [...servers].reverse()) {
      const f = await measureListing(server, c.path, c.key, c.expected, c.concurrency, seconds);
      results.record(server.storage, c.name, 'lists/s', true, server.name, f.rps);
      results.record(server.storage, c.name, 'p50 ms', false, server.name, f.p50);
      results.record(server.storage, c.name, 'p99 ms', false, server.name, f.p99);
      progress(`${server.name} [${server.storage}] ${c.name}: ${f.rps.toFixed(1)} lists/s (${f.pages} pages each) p50 ${f.p50.toFixed(1)} ms p99 ${f.p99.toFixed(1)} ms`);
    }
  }
}
