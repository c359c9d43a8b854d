// Tag reads: one tag, a page of tags (Distribution's `n`/`last`, O(page) through
// the (repo, tag) key) with per-tag metadata, and tag history.
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { Db } from '../engine/engine.js';
import type { Page, Platform, TagHistoryEntry, TagInfo } from '../types.js';
import { decodeCursor, encodeCursor, pageSize } from './cursor.js';
import { defined, parseJson } from './rows.js';

export const MAX_TAG_PAGE = 10_000;

export async function resolveTag(db: Db, repo: string, tag: string): Promise<string | undefined> {
  return (await db.selectFrom('tags').select('digest').where('repo', '=', repo).where('tag', '=', tag).executeTakeFirst())?.digest;
}

/** Tag names after `last`, in byte order; `next` is the last name when more follow. */
export async function tagNames(db: Db, repo: string, n?: number, last?: string): Promise<Page<string>> {
  const limit = pageSize(n, MAX_TAG_PAGE, MAX_TAG_PAGE);
  let q = db.selectFrom('tags').select('tag').where('repo', '=', repo);
  if (last !== undefined) q = q.where('tag', '>', last);
  const rows = await q.orderBy('tag').limit(limit + 1).execute();
  const items = rows.slice(0, limit).map((r) => r.tag);
  return defined({ items, next: rows.length > limit ? items.at(-1) : undefined });
}

/** Rows looked up by digest at once (well below both engines' parameter limits). */
const LOOKUP_SLICE = 1000;

/**
 * Tags after `last` with their manifest's metadata and last pull. Three indexed
 * reads (the page of tags, then its manifests and pull times by primary key)
 * rather than one join: each is O(page) whatever the planner's statistics say
 * (a join planned on stale statistics can read the whole repository).
 */
export async function tagPage(db: Db, repo: string, n?: number, last?: string): Promise<Page<TagInfo>> {
  const limit = pageSize(n, MAX_TAG_PAGE, MAX_TAG_PAGE);
  let q = db.selectFrom('tags').select(['tag', 'digest', 'pushed_at', 'pushed_by']).where('repo', '=', repo);
  if (last !== undefined) q = q.where('tag', '>', last);
  const rows = await q.orderBy('tag').limit(limit + 1).execute();
  const page = rows.slice(0, limit);
  const digests = [...new Set(page.map((r) => r.digest))];
  const manifests = new Map<string, { media_type: string; artifact_type: string | null; size: number; created: number | null; platforms: string | null }>();
  const pulls = new Map<string, number>();
  for (let i = 0; i < digests.length; i += LOOKUP_SLICE) {
    const slice = digests.slice(i, i + LOOKUP_SLICE);
    for (const m of await db.selectFrom('manifests').select(['digest', 'media_type', 'artifact_type', 'size', 'created', 'platforms'])
      .where('repo', '=', repo).where('digest', 'in', slice).execute()) manifests.set(m.digest, m);
    for (const p of await db.selectFrom('pulls').select((eb) => ['digest', eb.fn.max('last_pulled_at').as('at')])
      .where('repo', '=', repo).where('digest', 'in', slice).groupBy('digest').execute()) pulls.set(p.digest, Number(p.at));
  }
  const items = page.map((r) => {
    const m = manifests.get(r.digest);
    return defined<TagInfo>({
      tag: r.tag,
      digest: r.digest,
      pushedAt: r.pushed_at,
      pushedBy: r.pushed_by ?? undefined,
      mediaType: m?.media_type,
      artifactType: m?.artifact_type ?? undefined,
      size: m?.size,
      created: m?.created ?? undefined,
      platforms: parseJson<Platform[]>(m?.platforms),
      lastPulledAt: pulls.get(r.digest),
    });
  });
  return defined({ items, next: rows.length > limit ? items.at(-1)?.tag : undefined });
}

/**
 * Every tag with metadata, read a page at a time with a turn of the event loop
 * between pages: an unbounded listing never holds the (synchronous) SQLite
 * connection or the event loop for long.
 */
export async function* allTags(db: Db, repo: string, slice = 1000): AsyncGenerator<TagInfo[]> {
  let last: string | undefined;
  for (;;) {
    const page = await tagPage(db, repo, slice, last);
    if (page.items.length) yield page.items;
    if (!page.next) return;
    last = page.next;
    await yieldToEventLoop();
  }
}

/** History newest first, of one tag or of the whole repository. */
export async function tagHistory(db: Db, repo: string, query: { tag?: string; limit?: number; cursor?: string }): Promise<Page<TagHistoryEntry>> {
  const limit = pageSize(query.limit, 100, 1000);
  let q = db.selectFrom('tag_history').selectAll().where('repo', '=', repo);
  if (query.tag !== undefined) q = q.where('tag', '=', query.tag);
  if (query.cursor !== undefined) q = q.where('id', '<', decodeCursor('tag-history', query.cursor, ['number'])[0] as number);
  const rows = await q.orderBy('id', 'desc').limit(limit + 1).execute();
  const items = rows.slice(0, limit).map((r) => defined<TagHistoryEntry>({
    id: Number(r.id),
    tag: r.tag,
    action: r.action,
    digest: r.digest ?? undefined,
    previousDigest: r.previous_digest ?? undefined,
    actor: r.actor ?? undefined,
    at: r.at,
  }));
  return defined({ items, next: rows.length > limit ? encodeCursor('tag-history', [items.at(-1)!.id]) : undefined });
}
