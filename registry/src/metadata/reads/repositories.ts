// Repository reads: the catalog (`n`/`last`, optionally only the names the caller
// may see), the UI's list (search, sort, cursor), and status from the row's
// counters (one point read, whatever the repository's size).
import { sql } from '../engine/kysely.js';
import type { Db, EngineKind } from '../engine/engine.js';
import type { Selectable } from 'kysely';
import type { RepositoriesTable } from '../engine/tables.js';
import type { CatalogQuery, Page, RepositoryListQuery, RepositoryStatus } from '../types.js';
import { decodeCursor, encodeCursor, pageSize } from './cursor.js';
import { matchesAnyPattern } from './patterns.js';
import { defined } from './rows.js';

export const MAX_CATALOG_PAGE = 10_000;
/** Rows a filtered catalog request reads at most; it then returns what it found with a `next` (the last name read). */
const CATALOG_SCAN_LIMIT = 20_000;
/** The same bound for the UI's filtered repository list. */
const SCAN_LIMIT = 20_000;

export function repositoryStatus(row: Selectable<RepositoriesTable>): RepositoryStatus {
  return defined({
    name: row.name,
    createdAt: row.created_at,
    lastPushAt: row.last_push_at || undefined,
    origin: row.origin,
    tagCount: row.tag_count,
    manifestCount: row.manifest_count,
    sizeBytes: row.size_bytes,
  });
}

export async function getRepository(db: Db, repo: string): Promise<RepositoryStatus | undefined> {
  const row = await db.selectFrom('repositories').selectAll().where('name', '=', repo).executeTakeFirst();
  return row && repositoryStatus(row);
}

/**
 * Repository names after `last`. With `allow` the database skips names no pattern
 * matches; `filter` runs here, so after reading `maxScan` rows a page may come
 * back short, even empty, with `next` saying where to go on (the request stays
 * bounded whatever the filter rejects).
 */
export async function catalogPage(db: Db, kind: EngineKind, query: CatalogQuery): Promise<Page<string>> {
  const limit = pageSize(query.n, MAX_CATALOG_PAGE, MAX_CATALOG_PAGE);
  const maxScan = Math.max(1, query.maxScan ?? CATALOG_SCAN_LIMIT);
  const batch = query.filter ? Math.min(Math.max(limit, 500), maxScan) : limit + 1;
  const items: string[] = [];
  let after = query.last;
  let scanned = 0;
  for (;;) {
    let q = db.selectFrom('repositories').select('name');
    if (after !== undefined) q = q.where('name', '>', after);
    if (query.allow) q = q.where(matchesAnyPattern(kind, sql.ref('name'), query.allow));
    const rows = await q.orderBy('name').limit(batch).execute();
    for (const { name } of rows) {
      if (query.filter && !query.filter(name)) continue;
      if (items.length === limit) return { items, next: items.at(-1) };
      items.push(name);
    }
    scanned += rows.length;
    if (rows.length < batch) return { items };
    after = rows.at(-1)!.name;
    if (!query.filter) continue;
    if (scanned >= maxScan) return { items, next: after };
  }
}

const SORTS = {
  name: { column: 'name' },
  lastPush: { column: 'last_push_at' },
  size: { column: 'size_bytes' },
} as const;

/**
 * The UI's repository list: keyset pagination on (sort key, name), so each page
 * costs O(page) through the (last_push_at, name) and (size_bytes, name) indexes.
 * Ties in the newest-first orders go by name descending, so the index serves them
 * backwards. With `filter` (the caller's pull rights) rows are read in batches
 * until the page is full; after `maxScan` rows a short page (even an empty one)
 * comes back with a `next` cursor, so one request stays bounded whatever the
 * filter rejects.
 */
export async function listRepositories(db: Db, query: RepositoryListQuery): Promise<Page<RepositoryStatus>> {
  const limit = pageSize(query.limit, 50, 1000);
  const sortName = query.sort ?? 'name';
  const sort = SORTS[sortName];
  const listing = `repositories-${sortName}`;
  const cursorOf = (row: Selectable<RepositoriesTable>) =>
    (sort.column === 'name' ? encodeCursor(listing, [row.name]) : encodeCursor(listing, [row[sort.column], row.name]));
  let position: { value?: number; name: string } | undefined;
  if (query.cursor !== undefined) {
    if (sort.column === 'name') {
      position = { name: decodeCursor(listing, query.cursor, ['string'])[0] as string };
    } else {
      const [value, name] = decodeCursor(listing, query.cursor, ['number', 'string']) as [number, string];
      position = { value, name };
    }
  }
  const batch = query.filter ? Math.max(limit + 1, 200) : limit + 1;
  const maxScan = Math.max(1, query.maxScan ?? SCAN_LIMIT);
  const items: RepositoryStatus[] = [];
  let lastReturned: Selectable<RepositoriesTable> | undefined;
  let scanned = 0;
  for (;;) {
    let q = db.selectFrom('repositories').selectAll();
    // Names are lowercase; SQLite's LIKE ignores ASCII case and PostgreSQL's does not.
    if (query.search) q = q.where(sql<boolean>`name like ${`%${escapeLike(query.search.toLowerCase())}%`} escape '\\'`);
    if (position) {
      const { value, name } = position;
      if (sort.column === 'name') q = q.where('name', '>', name);
      else q = q.where((eb) => eb.or([eb(sort.column, '<', value!), eb.and([eb(sort.column, '=', value!), eb('name', '<', name)])]));
    }
    q = sort.column === 'name' ? q.orderBy('name') : q.orderBy(sort.column, 'desc').orderBy('name', 'desc');
    const rows = await q.limit(batch).execute();
    for (const row of rows) {
      if (query.filter && !query.filter(row.name)) continue;
      if (items.length === limit) return { items, next: cursorOf(lastReturned!) };
      items.push(repositoryStatus(row));
      lastReturned = row;
    }
    scanned += rows.length;
    if (rows.length < batch) return { items };
    const last = rows.at(-1)!;
    position = { value: sort.column === 'name' ? undefined : last[sort.column], name: last.name };
    if (query.filter && scanned >= maxScan) return { items, next: cursorOf(last) };
  }
}

function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}
