// The audit log table: append-only, written in batches by its sink.
import type { AuditEntry } from '../types.js';
import { chunks, type WriteScope } from './scope.js';

export async function appendAudit(w: WriteScope, entries: readonly AuditEntry[]): Promise<void> {
  for (const slice of chunks(entries, 200)) {
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
