// The scan queue: bounded, one entry per digest, run `concurrency` at a time.
// Offering never waits, so a push is never held by scanning: when the queue is
// full the offer is refused and counted (a pull under a policy offers it again,
// ahead of the pushes). Anyone may wait for a digest's scan, for at most the
// time they can afford (a pull waits maxPendingScan, never longer).
//
// Scans that are not urgent (a push, an SBOM, an index child) yield to client
// writes: they do not start, and pause at the scanner's yield points (between
// steps and layer chunks), while uploads or manifest PUTs are in flight, so a
// push is not slowed by the scan of the one before. Each yields for at most
// `maxDelayMs` from when it was queued, then runs anyway (a steady stream of
// pushes cannot starve scanning); a deferred job is still pending for waitFor.
// Urgent jobs (a pull waiting, the API) never wait, and while one is waiting or
// running no scan yields, so it is not held behind a paused one.
import type { WritesInFlight } from '../write/writes-in-flight.js';

export interface ScanJob {
  readonly repo: string;
  readonly digest: string;
  /** Why it was asked for; `pull` and `api` jobs go ahead of pushes. */
  readonly reason: 'push' | 'pull' | 'api' | 'sbom' | 'index';
}

export type Offer = 'queued' | 'already-queued' | 'running' | 'dropped';

/** Where a running scan may pause for writes; resolves at once when it need not. */
export type YieldPoint = () => Promise<void>;

export interface YieldToWrites {
  readonly writes: WritesInFlight;
  /** Longest a scan yields, from when it was queued. */
  readonly maxDelayMs: number;
  /** How long writes must have been over before a scan goes on (the gap between one push's requests). */
  readonly quietMs: number;
}

/** Why a deferred scan went on at last. */
export type DeferralEnd = 'writes-done' | 'max-delay' | 'urgent';

interface Entry {
  readonly job: ScanJob;
  readonly done: Promise<void>;
  settle(): void;
  readonly queuedAt: number;
  urgent: boolean;
  deferredMs: number;
  end?: DeferralEnd;
}

export interface QueueObserver {
  depth(n: number): void;
  dropped(job: ScanJob): void;
  failed(job: ScanJob, err: unknown): void;
  /** A scan that yielded to writes finished: how long it yielded in all, and why it went on. */
  deferred?(job: ScanJob, seconds: number, end: DeferralEnd): void;
}

const isUrgent = (job: ScanJob) => job.reason === 'pull' || job.reason === 'api';

export class ScanQueue {
  private readonly waiting: Entry[] = [];
  private readonly byDigest = new Map<string, Entry>();
  private readonly active = new Map<string, Entry>();
  /** Deferrals in progress, woken when an urgent job arrives or the queue closes. */
  private readonly deferrals = new Set<AbortController>();
  /** The waiting job whose start is being deferred, if any. */
  private startDeferred: Entry | undefined;
  private closed = false;

  constructor(
    private readonly capacity: number,
    private readonly concurrency: number,
    private readonly run: (job: ScanJob, yieldPoint: YieldPoint) => Promise<void>,
    private readonly observer: QueueObserver,
    private readonly yieldTo?: YieldToWrites,
    private readonly now: () => number = () => performance.now(),
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
    const urgent = isUrgent(job);
    const running = this.active.get(job.digest);
    if (running) {
      if (urgent) this.markUrgent(running);
      return 'running';
    }
    const queued = this.byDigest.get(job.digest);
    if (queued) {
      if (urgent) {
        this.moveToFront(queued);
        this.markUrgent(queued);
      }
      return 'already-queued';
    }
    if (this.waiting.length >= this.capacity) {
      this.observer.dropped(job);
      return 'dropped';
    }
    let settle!: () => void;
    const done = new Promise<void>((resolve) => { settle = resolve; });
    const entry: Entry = { job, done, settle, queuedAt: this.now(), urgent, deferredMs: 0 };
    if (urgent) this.waiting.unshift(entry);
    else this.waiting.push(entry);
    this.byDigest.set(job.digest, entry);
    this.observer.depth(this.waiting.length);
    if (urgent) this.wakeDeferrals();
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
    this.wakeDeferrals();
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

  /** A pull or the API now waits for this job: it stops yielding, and so does every other (it may be ahead in the line). */
  private markUrgent(entry: Entry): void {
    entry.urgent = true;
    this.wakeDeferrals();
  }

  private wakeDeferrals(): void {
    for (const d of this.deferrals) d.abort();
  }

  private urgentWaiting(): boolean {
    if (this.waiting[0]?.urgent) return true; // urgent jobs are at the front
    for (const e of this.active.values()) if (e.urgent) return true;
    return false;
  }

  /** Why the job goes on now rather than yield to writes (writes-done when nothing to yield to); undefined: it yields. */
  private goOn(entry: Entry): DeferralEnd | undefined {
    const y = this.yieldTo;
    if (!y || this.closed) return 'writes-done';
    if (entry.urgent || this.urgentWaiting()) return 'urgent';
    if (this.now() - entry.queuedAt >= y.maxDelayMs) return 'max-delay';
    return y.writes.quiet(y.quietMs) ? 'writes-done' : undefined;
  }

  /** Waits until the job may go on (writes quiet, its maximum delay reached, an urgent job, close). */
  private async defer(entry: Entry): Promise<void> {
    const y = this.yieldTo!;
    const started = this.now();
    let end: DeferralEnd | undefined;
    while (!(end = this.goOn(entry))) {
      const wake = new AbortController();
      this.deferrals.add(wake);
      const timer = setTimeout(() => wake.abort(), Math.max(1, entry.queuedAt + y.maxDelayMs - this.now()));
      try {
        await y.writes.whenQuiet(y.quietMs, wake.signal);
      } finally {
        clearTimeout(timer);
        this.deferrals.delete(wake);
      }
    }
    entry.deferredMs += this.now() - started;
    if (entry.end !== 'max-delay') entry.end = end;
  }

  /** The running job's yield point. */
  private yieldPoint(entry: Entry): YieldPoint {
    return () => (this.goOn(entry) ? Promise.resolve() : this.defer(entry));
  }

  private pump(): void {
    while (!this.closed && this.active.size < this.concurrency && this.waiting.length) {
      const entry = this.waiting[0];
      if (!this.goOn(entry)) {
        this.deferStart(entry);
        return;
      }
      this.waiting.shift();
      this.byDigest.delete(entry.job.digest);
      this.active.set(entry.job.digest, entry);
      this.observer.depth(this.waiting.length);
      // Off the caller's stack: offer() returns before any scanning starts.
      setImmediate(() => {
        this.run(entry.job, this.yieldPoint(entry))
          .catch((err: unknown) => this.observer.failed(entry.job, err))
          .finally(() => {
            this.active.delete(entry.job.digest);
            if (entry.deferredMs > 0) this.observer.deferred?.(entry.job, entry.deferredMs / 1000, entry.end ?? 'writes-done');
            entry.settle();
            this.pump();
          });
      });
    }
  }

  /** The first job in line waits for writes (once); then the line moves again. */
  private deferStart(entry: Entry): void {
    if (this.startDeferred) return;
    this.startDeferred = entry;
    void this.defer(entry).finally(() => {
      this.startDeferred = undefined;
      this.pump();
    });
  }
}
