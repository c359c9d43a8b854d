// Everything GC and retention need to know about one repository, read in keyset
// slices with a yield to the event loop between them, so even a repository with
// hundreds of thousands of manifests never holds the (synchronous) SQLite
// connection or the event loop for long.
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { SqlBool } from 'kysely';
import { sql } from '../engine/kysely.js';
import type { Db } from '../engine/engine.js';

export interface GraphManifest {
  readonly subject?: string;
  readonly pushedAt: number;
  readonly size: number;
}

export interface RepositoryGraph {
  readonly repo: string;
  readonly manifests: Map<string, GraphManifest>;
  /** Tag → digest and push time. */
  readonly tags: Map<string, { digest: string; pushedAt: number }>;
  /** Manifest → child manifests (an index's entries). */
  readonly children: Map<string, string[]>;
  /** Manifest → blobs it needs (config, layers, other blobs). */
  readonly blobs: Map<string, string[]>;
  /** Layer link → when it was (last) linked. */
  readonly links: Map<string, number>;
}

export const GRAPH_SLICE = 2000;

function push(map: Map<string, string[]>, key: string, value: string): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

export async function repositoryGraph(db: Db, repo: string, slice = GRAPH_SLICE): Promise<RepositoryGraph> {
  const graph: RepositoryGraph = { repo, manifests: new Map(), tags: new Map(), children: new Map(), blobs: new Map(), links: new Map() };

  for (let after = ''; ;) {
    const rows = await db.selectFrom('manifests').select(['digest', 'subject', 'pushed_at', 'size'])
      .where('repo', '=', repo).where('digest', '>', after).orderBy('digest').limit(slice).execute();
    for (const r of rows) graph.manifests.set(r.digest, { pushedAt: r.pushed_at, size: r.size, ...(r.subject ? { subject: r.subject } : {}) });
    if (rows.length < slice) break;
    after = rows.at(-1)!.digest;
    await yieldToEventLoop();
  }

  for (let after = ''; ;) {
    const rows = await db.selectFrom('tags').select(['tag', 'digest', 'pushed_at'])
      .where('repo', '=', repo).where('tag', '>', after).orderBy('tag').limit(slice).execute();
    for (const r of rows) graph.tags.set(r.tag, { digest: r.digest, pushedAt: r.pushed_at });
    if (rows.length < slice) break;
    after = rows.at(-1)!.tag;
    await yieldToEventLoop();
  }

  // Keyset on the rest of the primary key (digest, kind, ref_digest), as a row value.
  let position: [string, string, string] | undefined;
  for (;;) {
    let q = db.selectFrom('manifest_refs').select(['digest', 'kind', 'ref_digest']).where('repo', '=', repo);
    if (position) {
      const [d, k, r] = position;
      q = q.where(sql<SqlBool>`(digest, kind, ref_digest) > (${d}, ${k}, ${r})`);
    }
    const rows = await q.orderBy('digest').orderBy('kind').orderBy('ref_digest').limit(slice).execute();
    for (const r of rows) push(r.kind === 'manifest' ? graph.children : graph.blobs, r.digest, r.ref_digest);
    if (rows.length < slice) break;
    const last = rows.at(-1)!;
    position = [last.digest, last.kind, last.ref_digest];
    await yieldToEventLoop();
  }

  for (let after = ''; ;) {
    const rows = await db.selectFrom('layer_links').select(['digest', 'linked_at'])
      .where('repo', '=', repo).where('digest', '>', after).orderBy('digest').limit(slice).execute();
    for (const r of rows) graph.links.set(r.digest, r.linked_at);
    if (rows.length < slice) break;
    after = rows.at(-1)!.digest;
    await yieldToEventLoop();
  }
  return graph;
}

/** Every repository name, a slice at a time. */
export async function* repositoryNames(db: Db, slice = GRAPH_SLICE): AsyncGenerator<string[]> {
  for (let after = ''; ;) {
    const rows = await db.selectFrom('repositories').select('name').where('name', '>', after).orderBy('name').limit(slice).execute();
    if (rows.length) yield rows.map((r) => r.name);
    if (rows.length < slice) return;
    after = rows.at(-1)!.name;
    await yieldToEventLoop();
  }
}

/** Every blob the index knows with its size, a slice at a time (GC sweep candidates). */
export async function* allBlobs(db: Db, slice = GRAPH_SLICE): AsyncGenerator<{ digest: string; size: number }[]> {
  for (let after = ''; ;) {
    const rows = await db.selectFrom('blobs').select(['digest', 'size']).where('digest', '>', after).orderBy('digest').limit(slice).execute();
    if (rows.length) yield rows;
    if (rows.length < slice) return;
    after = rows.at(-1)!.digest;
    await yieldToEventLoop();
  }
}
