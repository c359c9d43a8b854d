// Tag reads: one tag, a page of tags (Distribution's `n`/`last`, O(page) through
// the (repo, tag) key) with per-tag metadata, and tag history.
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

/** Tags after `last` with their manifest's metadata and last pull. */
export async function tagPage(db: Db, repo: string, n?: number, last?: string): Promise<Page<TagInfo>> {
  const limit = pageSize(n, MAX_TAG_PAGE, MAX_TAG_PAGE);
  let q = db.selectFrom('tags as t')
    .leftJoin('manifests as m', (j) => j.onRef('m.repo', '=', 't.repo').onRef('m.digest', '=', 't.digest'))
    .select((eb) => [
      't.tag', 't.digest', 't.pushed_at', 't.pushed_by',
      'm.media_type', 'm.artifact_type', 'm.size', 'm.created', 'm.platforms',
      eb.selectFrom('pulls as p').whereRef('p.repo', '=', 't.repo').whereRef('p.digest', '=', 't.digest')
        .select((e) => e.fn.max('p.last_pulled_at').as('x')).as('last_pulled_at'),
    ])
    .where('t.repo', '=', repo);
  if (last !== undefined) q = q.where('t.tag', '>', last);
  const rows = await q.orderBy('t.tag').limit(limit + 1).execute();
  const items = rows.slice(0, limit).map((r) => defined<TagInfo>({
    tag: r.tag,
    digest: r.digest,
    pushedAt: r.pushed_at,
    pushedBy: r.pushed_by ?? undefined,
    mediaType: r.media_type ?? undefined,
    artifactType: r.artifact_type ?? undefined,
    size: r.size ?? undefined,
    created: r.created ?? undefined,
    platforms: parseJson<Platform[]>(r.platforms),
    lastPulledAt: r.last_pulled_at === null || r.last_pulled_at === undefined ? undefined : Number(r.last_pulled_at),
  }));
  return defined({ items, next: rows.length > limit ? items.at(-1)?.tag : undefined });
}

/** Every tag with metadata, read a page at a time (an unbounded listing never holds the database for long). */
export async function* allTags(db: Db, repo: string, slice = 1000): AsyncGenerator<TagInfo[]> {
  let last: string | undefined;
  for (;;) {
    const page = await tagPage(db, repo, slice, last);
    if (page.items.length) yield page.items;
    if (!page.next) return;
    last = page.next;
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
