// The audit log table: append-only, written in batches by its sink.
import type { AuditEntry } from '../types.js';
import { chunks } from '../engine/statement-shapes.js';
import type { WriteScope } from './scope.js';

export async function appendAudit(w: WriteScope, entries: readonly AuditEntry[]): Promise<void> {
  for (const slice of chunks(entries, 64)) {
    await w.trx.insertInto('audit').values(slice.map((e) => ({
      time: e.time,
      actor: e.actor ?? null,
      action: e.action,
      repository: e.repository ?? null,
      digest: e.digest ?? null,
      tag: e.tag ?? null,
      result: e.result,
      detail: e.detail ? JSON.stringify(e.detail) : null,
    }))).execute();
  }
}

/** What the index keeps of the audit table (`metadata.audit` in the config). */
export interface AuditPruning {
  /** Records older than this time (epoch ms) go. */
  readonly before?: number;
  /** At most this many of the newest records stay. */
  readonly keep?: number;
  /** The most records one call deletes. */
  readonly limit: number;
}

/**
 * One slice of retention: deletes, oldest first, up to `limit` records that are older
 * than `before` or not among the newest `keep`; returns how many went (0: nothing
 * more to prune). Records are appended in id order, so the oldest is the one with the
 * lowest id: the slice looks only at the `limit` records from there on (a range of
 * the primary key), never at the whole table, and deletes nothing once the oldest
 * record stays (a record older than `before` behind a newer one goes when that one
 * does). "The newest `keep`" counts ids back from the newest, so where the ids have
 * gaps (PostgreSQL does not reuse the ids of rolled-back inserts) fewer stay.
 */
export async function pruneAudit(w: WriteScope, p: AuditPruning): Promise<number> {
  if (p.before === undefined && p.keep === undefined) return 0;
  const oldest = await w.trx.selectFrom('audit').select(['id', 'time']).orderBy('id', 'asc').limit(1).executeTakeFirst();
  if (!oldest) return 0;
  const first = Number(oldest.id);
  let lastCounted = Number.NEGATIVE_INFINITY;
  if (p.keep !== undefined) {
    const newest = await w.trx.selectFrom('audit').select('id').orderBy('id', 'desc').limit(1).executeTakeFirstOrThrow();
    lastCounted = Number(newest.id) - p.keep;
  }
  const tooOld = (time: number) => p.before !== undefined && time < p.before;
  if (!tooOld(Number(oldest.time)) && first > lastCounted) return 0;
  const result = await w.trx.deleteFrom('audit')
    .where('id', 'in', (eb) => eb.selectFrom('audit as next').select('next.id').where('next.id', '>=', first).orderBy('next.id', 'asc').limit(p.limit))
    .where((eb) => {
      const reasons = [];
      if (p.before !== undefined) reasons.push(eb('time', '<', p.before));
      if (p.keep !== undefined) reasons.push(eb('id', '<=', lastCounted));
      return eb.or(reasons);
    })
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
