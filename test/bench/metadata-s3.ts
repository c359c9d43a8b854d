// The metadata index's figures on S3, Berth beside Distribution v3 on the same S3
// server: blob HEAD, the full catalog, the full tag list (Berth also with per-tag
// metadata), one 100-tag page of a large and of a small repository, repository
// status (Berth's admin API) of repositories of different sizes, tag PUT rates at
// c=16 and a dry-run collection's time. Seeding goes through the API and is not
// timed, except the two PUT rates, which are measured while seeding.
import { cpuSeconds } from './cpu.js';
import { HttpClient, pool } from './http-client.js';
import { measureListing } from './listing.js';
import { mountSmallImage, OCI_MANIFEST, putManifest, type SmallImage } from './registry-ops.js';
import { measure } from './requests.js';
import type { Results } from './results.js';
import type { ServerUnderTest } from './servers.js';
import { STALENESS_ROW } from './staleness.js';

export interface MetadataSizes {
  /** Tags of the large repository, each a distinct manifest. */
  readonly tags: number;
  /** Repositories made for the catalog (one image each). */
  readonly repos: number;
}

const LARGE = 'meta/large';
const SMALL = 'meta/small';
const tagName = (i: number) => `t${String(i).padStart(6, '0')}`;
/** The small repository: a tenth of the large one, at least 200 tags. */
const smallTagCount = (sizes: MetadataSizes) => Math.max(200, Math.floor(sizes.tags / 10));

/** Row names, shared by the runner and the targets. */
export function metadataRows(sizes: MetadataSizes) {
  const small = smallTagCount(sizes);
  return {
    distinctPuts: `manifest + new tag PUT, ${sizes.tags} distinct manifests c=16`,
    tagPuts: `tag PUT of an existing manifest, ${small - 1} tags c=16`,
    tagList: `full tag list of ${sizes.tags} tags c=1`,
    tagListMetadata: `full tag list of ${sizes.tags} tags with metadata=true c=1`,
    catalog: `full catalog of ${sizes.repos}+ repositories c=1`,
    largePage: `one page n=100 of ${sizes.tags} tags c=1`,
    smallPage: `one page n=100 of ${small} tags c=1`,
    status: (tags: number) => `repository status (GET /admin/repositories/...) of ${tags} tags c=1`,
    blobHead: 'blob HEAD (metadata section) c=50',
    gc: 'dry-run GC (mark + storage listings)',
  };
}

/** The small image's manifest with an annotation naming the tag: one distinct manifest per tag. */
function distinctManifest(image: SmallImage, tag: string): Buffer {
  const m = JSON.parse(image.manifest.toString()) as Record<string, unknown>;
  return Buffer.from(JSON.stringify({ ...m, annotations: { 'bench.tag': tag } }));
}

/** Runs `count` PUTs at c=16: their rate (per second) and the server's CPU time per PUT (ms). */
async function timedPuts(server: ServerUnderTest, count: number, put: (i: number) => Promise<void>): Promise<{ rate: number; cpuMs: number }> {
  const cpu = cpuSeconds(server.pid);
  const start = performance.now();
  await pool(count, 16, put);
  return { rate: count / ((performance.now() - start) / 1000), cpuMs: ((cpuSeconds(server.pid) - cpu) * 1000) / count };
}

async function seed(server: ServerUnderTest, from: string, image: SmallImage, sizes: MetadataSizes, results: Results,
  log: (line: string) => void): Promise<void> {
  const rows = metadataRows(sizes);
  const smallTags = smallTagCount(sizes);
  const client = new HttpClient(server.url, 16);
  try {
    for (const d of [image.configDigest, image.layerDigest]) await client.expect(201, 'POST', `/v2/${LARGE}/blobs/uploads/?mount=${d}&from=${from}`);
    const distinct = await timedPuts(server, sizes.tags, async (i) => {
      await client.expect(201, 'PUT', `/v2/${LARGE}/manifests/${tagName(i)}`, { body: [distinctManifest(image, tagName(i))], headers: { 'Content-Type': OCI_MANIFEST } });
    });
    results.record('s3', rows.distinctPuts, 'tags/s', true, server.name, distinct.rate);
    results.record('s3', rows.distinctPuts, 'server CPU ms/PUT', false, server.name, distinct.cpuMs);
    await mountSmallImage(client, from, SMALL, image, tagName(0));
    const tagOnly = await timedPuts(server, smallTags - 1, (i) => putManifest(client, SMALL, image, tagName(i + 1)));
    results.record('s3', rows.tagPuts, 'tags/s', true, server.name, tagOnly.rate);
    results.record('s3', rows.tagPuts, 'server CPU ms/PUT', false, server.name, tagOnly.cpuMs);
    log(`${server.name} [s3] ${sizes.tags} manifest+tag PUTs at ${distinct.rate.toFixed(0)}/s (${distinct.cpuMs.toFixed(1)} ms CPU each), `
      + `${smallTags - 1} tag PUTs at ${tagOnly.rate.toFixed(0)}/s (${tagOnly.cpuMs.toFixed(1)} ms CPU each)`);
    const start = performance.now();
    await pool(sizes.repos, 16, (i) => mountSmallImage(client, from, `meta-catalog/r${String(i).padStart(6, '0')}`, image, 'latest'));
    log(`${server.name} [s3] seeded ${sizes.repos} repositories in ${((performance.now() - start) / 1000).toFixed(1)} s`);
  } finally {
    client.close();
  }
}

/** A GET at c=1 for `seconds` (at least one request): p50 and p99 in ms. */
async function timedGet(server: ServerUnderTest, name: string, path: string, seconds: number, results: Results, log: (line: string) => void): Promise<void> {
  const f = await measure(server, { name, method: 'GET', path, connections: 1 }, seconds);
  if (f.failures) results.notes.push(`${server.name} [s3] ${name}: ${f.failures} failed requests`);
  results.record('s3', name, 'p50 ms', false, server.name, f.p50);
  results.record('s3', name, 'p99 ms', false, server.name, f.p99);
  log(`${server.name} [s3] ${name}: p50 ${f.p50.toFixed(1)} ms p99 ${f.p99.toFixed(1)} ms (${f.requests} requests)`);
}

/** A dry-run collection on Berth: its duration bounds the mark phase (it also lists repositories and blobs in storage). */
async function dryRunGc(server: ServerUnderTest, name: string, results: Results, log: (line: string) => void): Promise<void> {
  const start = performance.now();
  const res = await fetch(`${server.url}/admin/gc?dryRun=true`, { method: 'POST', signal: AbortSignal.timeout(300_000) });
  const seconds = (performance.now() - start) / 1000;
  if (res.status !== 200) throw new Error(`berth dry-run GC answered ${res.status}: ${await res.text()}`);
  const { report } = (await res.json()) as { report: { manifestsMarked: number; repositories: number } };
  results.record('s3', name, 'seconds', false, server.name, seconds);
  results.record('s3', name, 'manifests marked', true, server.name, report.manifestsMarked);
  log(`${server.name} [s3] dry-run GC: ${seconds.toFixed(2)} s, ${report.manifestsMarked} manifests marked in ${report.repositories} repositories`);
}

export async function runMetadataS3(servers: readonly ServerUnderTest[], from: string, image: SmallImage, sizes: MetadataSizes, seconds: number,
  results: Results, log: (line: string) => void): Promise<void> {
  const rows = metadataRows(sizes);
  const smallTags = smallTagCount(sizes);
  for (const server of servers) await seed(server, from, image, sizes, results, log);
  const berth = servers.filter((s) => s.isBerth);
  const alternate = (i: number) => (i % 2 === 0 ? servers : [...servers].reverse());
  const lists = [
    { name: rows.tagList, path: `/v2/${LARGE}/tags/list`, key: 'tags' as const, expected: sizes.tags, on: servers },
    { name: rows.tagListMetadata, path: `/v2/${LARGE}/tags/list?metadata=true`, key: 'tags' as const, expected: sizes.tags, on: berth },
    { name: rows.catalog, path: '/v2/_catalog', key: 'repositories' as const, expected: sizes.repos, on: servers },
  ];
  for (const [i, l] of lists.entries()) {
    for (const server of i % 2 === 0 ? l.on : [...l.on].reverse()) {
      const f = await measureListing(server, l.path, l.key, l.expected, 1, seconds);
      results.record('s3', l.name, 'p50 ms', false, server.name, f.p50);
      results.record('s3', l.name, 'p99 ms', false, server.name, f.p99);
      log(`${server.name} [s3] ${l.name}: p50 ${f.p50.toFixed(0)} ms p99 ${f.p99.toFixed(0)} ms (${f.pages} pages each)`);
    }
  }
  const middle = (n: number) => tagName(Math.floor(n / 2));
  const pages = [
    { name: rows.largePage, path: `/v2/${LARGE}/tags/list?n=100&last=${middle(sizes.tags)}` },
    { name: rows.smallPage, path: `/v2/${SMALL}/tags/list?n=100&last=${middle(smallTags)}` },
  ];
  for (const [i, p] of pages.entries()) for (const server of alternate(i)) await timedGet(server, p.name, p.path, seconds, results, log);
  for (const server of berth) {
    for (const [repo, tags] of [[LARGE, sizes.tags], [SMALL, smallTags], ['meta-catalog/r000000', 1]] as const) {
      await timedGet(server, rows.status(tags), `/admin/repositories/${repo}`, seconds, results, log);
    }
  }
  for (const server of alternate(1)) {
    const f = await measure(server, { name: 'blob HEAD', method: 'HEAD', path: `/v2/${LARGE}/blobs/${image.layerDigest}`, connections: 50 }, seconds);
    if (f.failures) results.notes.push(`${server.name} [s3] blob HEAD: ${f.failures} failed requests`);
    results.record('s3', rows.blobHead, 'req/s', true, server.name, f.rps);
    results.record('s3', rows.blobHead, 'p99 ms', false, server.name, f.p99);
    log(`${server.name} [s3] blob HEAD c=50: ${f.rps.toFixed(0)} req/s p99 ${f.p99.toFixed(1)} ms`);
  }
  for (const server of berth) await dryRunGc(server, rows.gc, results, log);
}

/** The metadata index's targets (docs/metadata.md), checked against this run: a report, never an assertion. */
export function metadataTargets(results: Results, sizes: MetadataSizes, dist: string): string[] {
  const rows = metadataRows(sizes);
  const v = (row: string, unit: string, server = 'berth') => results.value('s3', row, unit, server);
  const verdict = (ok: boolean | undefined) => (ok === undefined ? '  n/a' : ok ? ' PASS' : ' MISS');
  const check = (ok: (b: number, d: number) => boolean, b: number | undefined, d: number | undefined) => (b === undefined || d === undefined ? undefined : ok(b, d));
  const fmt = (n: number | undefined) => (n === undefined ? 'n/a' : n.toFixed(1));
  const head = [v(rows.blobHead, 'req/s'), v(rows.blobHead, 'req/s', dist)] as const;
  const page = [v(rows.largePage, 'p50 ms'), v(rows.largePage, 'p50 ms', dist), v(rows.smallPage, 'p50 ms')] as const;
  const puts = [v(rows.tagPuts, 'tags/s'), v(rows.tagPuts, 'tags/s', dist)] as const;
  const status = [v(rows.status(sizes.tags), 'p50 ms'), v(rows.status(1), 'p50 ms')] as const;
  const catalog = v(rows.catalog, 'p50 ms');
  const tags = v(rows.tagListMetadata, 'p50 ms');
  const gc = v(rows.gc, 'seconds');
  const stale = v(STALENESS_ROW, 'p99 ms');
  return [
    `metadata targets (Berth vs ${dist} on S3, this run):`,
    `${verdict(check((b, d) => b >= 2 * d, ...head))}  blob HEAD >= 2x ${dist} (${fmt(head[0])} vs ${fmt(head[1])} req/s)`,
    `${verdict(catalog === undefined ? undefined : catalog < 500)}  full catalog of ${sizes.repos}+ repositories < 500 ms (p50 ${fmt(catalog)} ms)`,
    `${verdict(tags === undefined ? undefined : tags < 300)}  tag list of ${sizes.tags} tags with metadata < 300 ms (p50 ${fmt(tags)} ms)`,
    `${verdict(check((b, d) => b <= d, page[0], page[1]))}  one 100-tag page of ${sizes.tags} tags <= ${dist} (p50 ${fmt(page[0])} vs ${fmt(page[1])} ms; ${fmt(page[2])} ms in the small repository)`,
    `${verdict(check((b, d) => b >= d, ...puts))}  tag PUTs c=16 >= ${dist} (${fmt(puts[0])} vs ${fmt(puts[1])} tags/s)`,
    `${verdict(check((b, s) => b <= 2 * s + 1, ...status))}  repository status constant in size (p50 ${fmt(status[0])} ms at ${sizes.tags} tags, ${fmt(status[1])} ms at 1 tag)`,
    `${verdict(gc === undefined ? undefined : gc < 2)}  GC mark < 2 s (dry run, mark + storage listings: ${fmt(gc)} s)`,
    `${verdict(stale === undefined ? undefined : stale <= 1000)}  cross-replica staleness p99 <= 1 s (${fmt(stale)} ms)`,
  ];
}
