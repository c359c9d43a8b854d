// Retention of the index's audit table (`metadata.audit`): records older than
// maxAgeSeconds, and those beyond the newest maxRecords, are pruned every
// pruneIntervalSeconds. Without it the table only grows (every write and every
// denied request adds a record), and with it the index file and the memory that
// serves it. The audit log file (events.auditLog) is not touched: it is the durable
// record; the index keeps what the activity API shows.
//
// Pruning runs in slices of SLICE records, one short transaction each, with the
// event loop free between them: SQLite is synchronous in this process, so one
// large DELETE would stall every request for as long as it ran. Replicas sharing a
// PostgreSQL each prune; two deleting the same slice only wait for each other's rows.
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { Logger } from '../log.js';
import type { AuditPruning } from './writes/audit.js';

/** Records deleted per transaction. */
export const SLICE = 1_000;

export interface AuditRetentionOptions {
  /** 0: no age limit. */
  readonly maxAgeSeconds: number;
  /** 0: no count limit. */
  readonly maxRecords: number;
  readonly pruneIntervalSeconds: number;
}

/** What retention needs of the index. */
export interface AuditTable {
  pruneAudit(pruning: AuditPruning): Promise<number>;
}

export class AuditRetention {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;
  private stopped = false;

  constructor(
    private readonly table: AuditTable,
    private readonly options: AuditRetentionOptions,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  get enabled(): boolean {
    return this.options.maxAgeSeconds > 0 || this.options.maxRecords > 0;
  }

  start(): void {
    if (!this.enabled || this.timer) return;
    this.timer = setInterval(() => {
      if (this.running) return;
      this.prune().catch((err) => this.log.warn({ msg: 'audit retention failed; retrying at the next interval', err: (err as Error).message }));
    }, this.options.pruneIntervalSeconds * 1000);
    this.timer.unref();
  }

  /** Prunes everything due now, slice by slice; returns how many records went. */
  prune(): Promise<number> {
    this.running ??= this.pruneAll().finally(() => { this.running = undefined; });
    return this.running;
  }

  /** Stops the timer and waits for a prune under way (it ends at its next slice). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
  }

  private async pruneAll(): Promise<number> {
    const { maxAgeSeconds, maxRecords } = this.options;
    if (!this.enabled) return 0;
    const pruning: AuditPruning = {
      ...(maxAgeSeconds > 0 ? { before: this.now() - maxAgeSeconds * 1000 } : {}),
      ...(maxRecords > 0 ? { keep: maxRecords } : {}),
      limit: SLICE,
    };
    let pruned = 0;
    for (;;) {
      const n = await this.table.pruneAudit(pruning);
      pruned += n;
      if (n === 0 || this.stopped) break;
      await yieldToEventLoop();
    }
    if (pruned) this.log.info({ msg: 'audit records pruned from the index', count: pruned });
    return pruned;
  }
}
