// The scan queue: bounded, one entry per digest, run `concurrency` at a time.
// Offering never waits, so a push is never held by scanning: when the queue is
// full the offer is refused and counted (a pull under a policy offers it again,
// ahead of the pushes). Anyone may wait for a digest's scan, for at most the
// time they can afford (a pull waits maxPendingScan, never longer).
export interface ScanJob {
  readonly repo: string;
  readonly digest: string;
  /** Why it was asked for; `pull` and `api` jobs go ahead of pushes. */
  readonly reason: 'push' | 'pull' | 'api' | 'sbom' | 'index';
}

export type Offer = 'queued' | 'already-queued' | 'running' | 'dropped';

interface Entry {
  readonly job: ScanJob;
  readonly done: Promise<void>;
  settle(): void;
}

export interface QueueObserver {
  depth(n: number): void;
  dropped(job: ScanJob): void;
  failed(job: ScanJob, err: unknown): void;
}

export class ScanQueue {
  private readonly waiting: Entry[] = [];
  private readonly byDigest = new Map<string, Entry>();
  private readonly active = new Map<string, Entry>();
  private closed = false;

  constructor(
    private readonly capacity: number,
    private readonly concurrency: number,
    private readonly run: (job: ScanJob) => Promise<void>,
    private readonly observer: QueueObserver,
  ) {}

  get depth(): number {
    return this.waiting.length;
  }

  get running(): number {
    return this.active.size;
  }

  /** Queues a scan unless one for the digest is waiting or running; never waits. */
  offer(job: ScanJob): Offer {
    if (this.closed) return 'dropped';
    if (this.active.has(job.digest)) return 'running';
    const queued = this.byDigest.get(job.digest);
    const urgent = job.reason === 'pull' || job.reason === 'api';
    if (queued) {
      if (urgent) this.moveToFront(queued);
      return 'already-queued';
    }
    if (this.waiting.length >= this.capacity) {
      this.observer.dropped(job);
      return 'dropped';
    }
    let settle!: () => void;
    const done = new Promise<void>((resolve) => { settle = resolve; });
    const entry: Entry = { job, done, settle };
    if (urgent) this.waiting.unshift(entry);
    else this.waiting.push(entry);
    this.byDigest.set(job.digest, entry);
    this.observer.depth(this.waiting.length);
    this.pump();
    return 'queued';
  }

  /** Whether a scan of the digest is waiting or running. */
  pending(digest: string): boolean {
    return this.byDigest.has(digest) || this.active.has(digest);
  }

  /** Resolves when the digest's scan (waiting or running) has finished, or after `timeoutMs`; true when it finished. */
  async waitFor(digest: string, timeoutMs: number): Promise<boolean> {
    const entry = this.active.get(digest) ?? this.byDigest.get(digest);
    if (!entry) return true;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => { timer = setTimeout(() => resolve(false), timeoutMs); });
    try {
      return await Promise.race([entry.done.then(() => true as const), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Resolves once nothing is waiting or running (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.waiting.length || this.active.size) {
      await Promise.race([...this.active.values(), ...this.waiting].map((e) => e.done));
    }
  }

  /** Stops taking jobs; jobs waiting are dropped, running ones finish. */
  async close(): Promise<void> {
    this.closed = true;
    for (const e of this.waiting.splice(0)) {
      this.byDigest.delete(e.job.digest);
      e.settle();
    }
    this.observer.depth(0);
    await Promise.all([...this.active.values()].map((e) => e.done));
  }

  private moveToFront(entry: Entry): void {
    const i = this.waiting.indexOf(entry);
    if (i > 0) {
      this.waiting.splice(i, 1);
      this.waiting.unshift(entry);
    }
  }

  private pump(): void {
    while (!this.closed && this.active.size < this.concurrency && this.waiting.length) {
      const entry = this.waiting.shift()!;
      this.byDigest.delete(entry.job.digest);
      this.active.set(entry.job.digest, entry);
      this.observer.depth(this.waiting.length);
      // Off the caller's stack: offer() returns before any scanning starts.
      setImmediate(() => {
        this.run(entry.job)
          .catch((err: unknown) => this.observer.failed(entry.job, err))
          .finally(() => {
            this.active.delete(entry.job.digest);
            entry.settle();
            this.pump();
          });
      });
    }
  }
}
