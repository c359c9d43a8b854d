// Audit records into the metadata index, where the activity API queries them.
// Recording never waits: records queue in memory and are written in one
// transaction per batch, BATCH_MS after the first of them (at once when MAX_BATCH
// are queued), so a record is queryable within tens of milliseconds of its request's
// end. A commit costs more than the inserts it holds (SQLite: ~130-180 µs against
// ~30 µs), and under a steady load of pushes a transaction per turn of the event
// loop was one per request. While the index is down the queue keeps the newest
// MAX_QUEUED records and retries.
import type { Logger } from '../log.js';
import type { AuditEntry as IndexAuditEntry } from '../metadata/types.js';
import type { AuditEntry, AuditSink } from './audit-log.js';

/** What the sink needs of the index. */
export interface AuditStore {
  appendAudit(entries: readonly IndexAuditEntry[]): Promise<void>;
}

const MAX_BATCH = 500;
/** How long the first queued record waits for others to share its transaction. */
export const BATCH_MS = 25;
const MAX_QUEUED = 10_000;
const RETRY_MS = 5000;

export class IndexAuditSink implements AuditSink {
  private readonly queue: IndexAuditEntry[] = [];
  private flushing: Promise<void> | undefined;
  private retry: NodeJS.Timeout | undefined;
  /** While a batch waits for more records: writes it now. */
  private startNow: (() => void) | undefined;
  private dropped = 0;

  constructor(private readonly store: AuditStore, private readonly log: Logger, private readonly batchMs = BATCH_MS) {}

  record(entry: AuditEntry): void {
    this.queue.push(indexEntry(entry));
    // Trimmed only between writes: a batch being written is the queue's head.
    if (this.queue.length > MAX_QUEUED && !this.flushing) {
      this.dropped += this.queue.length - MAX_QUEUED;
      this.queue.splice(0, this.queue.length - MAX_QUEUED);
    }
    if (this.queue.length >= MAX_BATCH) this.startNow?.();
    if (!this.flushing && !this.retry) void this.kick(this.batchMs);
  }

  /** Resolves when every record queued so far is written, or the index refused them. */
  async flush(): Promise<void> {
    if (this.retry) clearTimeout(this.retry);
    this.retry = undefined;
    this.startNow?.();
    while (this.flushing) await this.flushing;
    if (this.queue.length) await this.kick(0);
  }

  async close(): Promise<void> {
    await this.flush();
    if (this.retry) clearTimeout(this.retry);
    this.retry = undefined;
  }

  /** Drains the queue after `waitMs` (0: the next turn of the event loop); on failure, again after RETRY_MS. */
  private kick(waitMs: number): Promise<void> {
    this.flushing = (async () => {
      if (waitMs > 0) {
        await new Promise<void>((resolve) => {
          const start = () => {
            clearTimeout(timer);
            this.startNow = undefined;
            resolve();
          };
          const timer = setTimeout(start, waitMs);
          this.startNow = start;
        });
      } else await new Promise<void>((resolve) => setImmediate(resolve));
      try {
        await this.drain();
      } catch (err) {
        this.log.warn({ msg: 'audit records not written to the metadata index; retrying', queued: this.queue.length, err: (err as Error).message });
        this.retry = setTimeout(() => {
          this.retry = undefined;
          void this.kick(0);
        }, RETRY_MS);
        this.retry.unref();
      } finally {
        this.flushing = undefined;
      }
    })();
    return this.flushing;
  }

  private async drain(): Promise<void> {
    while (this.queue.length) {
      const batch = this.queue.slice(0, MAX_BATCH);
      await this.store.appendAudit(batch);
      this.queue.splice(0, batch.length);
    }
    if (this.dropped) {
      this.log.warn({ msg: 'audit records dropped while the metadata index was unavailable', dropped: this.dropped });
      this.dropped = 0;
    }
  }
}

/** The index's columns (time, actor, action, repository, digest, tag, result); the rest goes to `detail`. */
export function indexEntry(e: AuditEntry): IndexAuditEntry {
  const detail: Record<string, unknown> = { ...e.detail };
  if (e.method !== undefined) detail.method = e.method;
  if (e.path !== undefined) detail.path = e.path;
  if (e.status !== undefined) detail.status = e.status;
  if (e.remote !== undefined) detail.remote = e.remote;
  if (e.identity !== undefined) detail.identity = e.identity;
  return {
    time: Date.parse(e.time) || Date.now(),
    actor: e.actor,
    action: e.action,
    result: e.result,
    ...(e.repository !== undefined ? { repository: e.repository } : {}),
    ...(e.digest !== undefined ? { digest: e.digest } : {}),
    ...(e.tag !== undefined ? { tag: e.tag } : {}),
    ...(Object.keys(detail).length ? { detail } : {}),
  };
}
