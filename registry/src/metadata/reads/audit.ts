// The audit log, newest first, filtered by any of its columns and a time range,
// and optionally by a predicate run here (the caller's pull rights): rows are then
// read in batches until the page is full, and after `maxScan` rows a short page
// comes back with a cursor, so a request stays bounded whatever the predicate rejects.
import type { Db } from '../engine/engine.js';
import type { AuditQuery, AuditRecord, Page } from '../types.js';
import { decodeCursor, encodeCursor, pageSize } from './cursor.js';
import { defined, parseJson } from './rows.js';

const SCAN_LIMIT = 20_000;

export async function auditPage(db: Db, query: AuditQuery): Promise<Page<AuditRecord>> {
  const limit = pageSize(query.limit, 100, 1000);
  const batch = query.filter ? Math.max(limit + 1, 500) : limit + 1;
  const maxScan = Math.max(1, query.maxScan ?? SCAN_LIMIT);
  let before = query.cursor !== undefined ? decodeCursor('audit', query.cursor, ['number'])[0] as number : undefined;
  const items: AuditRecord[] = [];
  let scanned = 0;
  for (;;) {
    let q = db.selectFrom('audit').selectAll();
    for (const column of ['actor', 'action', 'repository', 'digest', 'tag', 'result'] as const) {
      const value = query[column];
      if (value !== undefined) q = q.where(column, '=', value);
    }
    if (query.since !== undefined) q = q.where('time', '>=', query.since);
    if (query.until !== undefined) q = q.where('time', '<', query.until);
    if (before !== undefined) q = q.where('id', '<', before);
    const rows = await q.orderBy('id', 'desc').limit(batch).execute();
    for (const r of rows) {
      const record = defined<AuditRecord>({
        id: Number(r.id),
        time: Number(r.time),
        actor: r.actor ?? undefined,
        action: r.action,
        repository: r.repository ?? undefined,
        digest: r.digest ?? undefined,
        tag: r.tag ?? undefined,
        result: r.result,
        detail: parseJson<Record<string, unknown>>(r.detail),
      });
      if (query.filter && !query.filter(record)) continue;
      if (items.length === limit) return { items, next: encodeCursor('audit', [items.at(-1)!.id]) };
      items.push(record);
    }
    scanned += rows.length;
    if (rows.length < batch) return { items };
    before = Number(rows.at(-1)!.id);
    if (query.filter && scanned >= maxScan) return { items, next: encodeCursor('audit', [before]) };
  }
}
