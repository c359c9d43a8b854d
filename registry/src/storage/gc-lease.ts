// The GC lease: only one replica collects at a time. The storage drivers have no
// conditional put, so acquisition is write-then-read-back: a replica that finds no
// live lease writes {owner, expiresAt} with a random owner id, waits a moment, and
// reads the lock back; it holds the lease only if its own id is still there.
//
// Residual race: two replicas that both read "free", then write and read back in an
// interleaving where each read-back happens before the other's write, both believe
// they hold the lease. The settle delay makes that window small, and the collector is
// safe even then: deletes are idempotent, and each run re-checks markers and ages
// before removing anything.
import { randomUUID } from 'node:crypto';
import { isNotFound, type StorageDriver } from './driver/driver.js';
import { paths } from './paths.js';

interface LeaseRecord {
  readonly owner: string;
  readonly expiresAt: number;
}

export interface LeaseOptions {
  /** How long a lease lasts without renewal. */
  readonly ttlMs: number;
  /** Pause between writing the lock and reading it back. */
  readonly settleMs: number;
}

export class GcLease {
  readonly owner = randomUUID();

  constructor(private readonly driver: StorageDriver, private readonly options: LeaseOptions = { ttlMs: 60_000, settleMs: 200 }) {}

  private async read(): Promise<LeaseRecord | undefined> {
    try {
      return JSON.parse((await this.driver.getContent(paths.gcLock())).toString('utf8')) as LeaseRecord;
    } catch (err) {
      if (isNotFound(err) || err instanceof SyntaxError) return undefined;
      throw err;
    }
  }

  private async write(now: number): Promise<void> {
    const record: LeaseRecord = { owner: this.owner, expiresAt: now + this.options.ttlMs };
    await this.driver.putContent(paths.gcLock(), JSON.stringify(record));
  }

  /** Holder of the live lease other than us, or undefined when we got it. */
  async acquire(now = Date.now()): Promise<string | undefined> {
    const current = await this.read();
    if (current && current.owner !== this.owner && current.expiresAt > now) return current.owner;
    await this.write(now);
    await new Promise((resolve) => setTimeout(resolve, this.options.settleMs));
    const after = await this.read();
    return after?.owner === this.owner ? undefined : after?.owner ?? 'unknown';
  }

  /** Extends the lease; false when another replica took it over (the run must stop). */
  async renew(now = Date.now()): Promise<boolean> {
    const current = await this.read();
    if (current && current.owner !== this.owner) return false;
    await this.write(now);
    return true;
  }

  async release(): Promise<void> {
    const current = await this.read();
    if (current?.owner !== this.owner) return;
    try {
      await this.driver.delete(paths.gcLock());
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}
