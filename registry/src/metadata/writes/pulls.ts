// Last-pulled times. A pull never writes: PullBuffer keeps the newest time per
// (repository, digest, tag) in memory, and a timer writes the whole buffer in one
// transaction every few seconds (or early, when it holds too many entries).
import type { PullRecord } from '../types.js';
import { chunks } from '../engine/statement-shapes.js';
import { sortedBy, type WriteScope } from './scope.js';

export class PullBuffer {
  private entries = new Map<string, PullRecord>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;

  constructor(
    private readonly write: (records: PullRecord[]) => Promise<void>,
    private readonly intervalMs: number,
    private readonly limit: number,
    private readonly onError: (err: unknown) => void,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.flush().catch(this.onError), this.intervalMs);
    this.timer.unref();
  }

  /** O(1), no I/O. */
  record(repo: string, digest: string, tag: string | undefined, at: number): void {
    this.keep({ repo, digest, tag, at });
    if (this.entries.size >= this.limit && !this.flushing) void this.flush().catch(this.onError);
  }

  get size(): number {
    return this.entries.size;
  }

  /**
   * Writes what is buffered. A failed write puts its entries back (newer times
   * win), up to ten times the limit: while the database stays down the oldest
   * pull times are the ones given up.
   */
  async flush(): Promise<void> {
    await this.flushing?.catch(() => undefined);
    if (!this.entries.size) return;
    const batch = [...this.entries.values()];
    this.entries = new Map();
    this.flushing = this.write(batch).catch((err) => {
      const newer = this.entries;
      this.entries = new Map();
      for (const r of batch.slice(-this.limit * 10)) this.keep(r);
      for (const r of newer.values()) this.keep(r);
      throw err;
    }).finally(() => { this.flushing = undefined; });
    await this.flushing;
  }

  private keep(r: PullRecord): void {
    const key = `${r.repo}\n${r.digest}\n${r.tag ?? ''}`;
    const old = this.entries.get(key);
    if (!old || old.at < r.at) this.entries.set(key, r);
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
}

/** Upserts pull times, keeping the newer one when a row exists. */
export async function writePulls(w: WriteScope, records: readonly PullRecord[]): Promise<void> {
  const rows = sortedBy(records.map((r) => ({ repo: r.repo, digest: r.digest, tag: r.tag ?? '', last_pulled_at: r.at })),
    (r) => `${r.repo}\n${r.digest}\n${r.tag}`);
  for (const slice of chunks(rows, 128)) {
    await w.trx.insertInto('pulls').values(slice)
      .onConflict((oc) => oc.columns(['repo', 'digest', 'tag'])
        .doUpdateSet((eb) => ({ last_pulled_at: eb.ref('excluded.last_pulled_at') }))
        .where('excluded.last_pulled_at', '>', (eb) => eb.ref('pulls.last_pulled_at')))
      .execute();
  }
}
