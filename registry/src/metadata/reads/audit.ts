// The audit log, newest first, filtered by any of its columns and a time range.
import type { Db } from '../engine/engine.js';
import type { AuditQuery, AuditRecord, Page } from '../types.js';
import { decodeCursor, encodeCursor, pageSize } from './cursor.js';
import { defined, parseJson } from './rows.js';

export async function auditPage(db: Db, query: AuditQuery): Promise<Page<AuditRecord>> {
  const limit = pageSize(query.limit, 100, 1000);
  let q = db.selectFrom('audit').selectAll();
  for (const column of ['actor', 'action', 'repository', 'digest', 'tag', 'result'] as const) {
    const value = query[column];
    if (value !== undefined) q = q.where(column, '=', value);
  }
  if (query.since !== undefined) q = q.where('time', '>=', query.since);
  if (query.until !== undefined) q = q.where('time', '<', query.until);
  if (query.cursor !== undefined) q = q.where('id', '<', decodeCursor('audit', query.cursor, ['number'])[0] as number);
  const rows = await q.orderBy('id', 'desc').limit(limit + 1).execute();
  const items = rows.slice(0, limit).map((r) => defined<AuditRecord>({
    id: Number(r.id),
    time: r.time,
    actor: r.actor ?? undefined,
    action: r.action,
    repository: r.repository ?? undefined,
    digest: r.digest ?? undefined,
    tag: r.tag ?? undefined,
    result: r.result,
    detail: parseJson<Record<string, unknown>>(r.detail),
  }));
  return defined({ items, next: rows.length > limit ? encodeCursor('audit', [items.at(-1)!.id]) : undefined });
}
