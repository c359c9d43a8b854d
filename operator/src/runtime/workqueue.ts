// A keyed, deduplicating work queue with client-go's semantics:
//  - a key added many times before a worker takes it is processed once;
//  - a key is never handed to two workers at once: if it is re-added while being
//    processed it is parked ("dirty") and queued again when done() is called;
//  - addAfter() delays an add; addRateLimited() delays by the key's backoff.
import { ExponentialBackoff } from './backoff.js';

const MAX_TIMER_MS = 2 ** 31 - 1;

export interface WorkQueueHooks {
  onDepthChange?(depth: number): void;
  onAdd?(): void;
  onRetry?(): void;
}

export class WorkQueue {
  private readonly queue: string[] = [];
  private readonly dirty = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly timers = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  private waiters: Array<(key: string | undefined) => void> = [];
  private shuttingDown = false;

  constructor(
    readonly backoff: ExponentialBackoff = new ExponentialBackoff(),
    private readonly hooks: WorkQueueHooks = {},
  ) {}

  add(key: string): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.hooks.onAdd?.();
    this.dirty.add(key);
    if (this.processing.has(key)) return; // re-queued by done()
    this.push(key);
  }

  /** Adds key after delayMs; an earlier pending delayed add for the same key wins. */
  addAfter(key: string, delayMs: number): void {
    if (this.shuttingDown) return;
    if (delayMs <= 0) return this.add(key);
    // setTimeout fires at once for delays beyond 2^31-1 ms (~24.8 days); cap instead.
    delayMs = Math.min(delayMs, MAX_TIMER_MS);
    const at = Date.now() + delayMs;
    const pending = this.timers.get(key);
    if (pending && pending.at <= at) return;
    if (pending) clearTimeout(pending.timer);
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, delayMs);
    timer.unref();
    this.timers.set(key, { at, timer });
  }

  addRateLimited(key: string): void {
    this.hooks.onRetry?.();
    this.addAfter(key, this.backoff.next(key));
  }

  forget(key: string): void {
    this.backoff.forget(key);
  }

  /** Waits for the next key; undefined once the queue is shut down. */
  get(): Promise<string | undefined> {
    const key = this.queue.shift();
    if (key !== undefined) {
      this.take(key);
      return Promise.resolve(key);
    }
    if (this.shuttingDown) return Promise.resolve(undefined);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  done(key: string): void {
    this.processing.delete(key);
    if (this.dirty.has(key)) this.push(key);
  }

  get depth(): number {
    return this.queue.length;
  }

  isProcessing(key: string): boolean {
    return this.processing.has(key);
  }

  /**
   * Stops accepting keys and drops the queued ones (a stopping process must not
   * start new work; the next leader relists everything). Workers waiting in
   * get() receive undefined; keys being processed finish normally.
   */
  shutDown(): void {
    this.shuttingDown = true;
    this.queue.length = 0;
    this.dirty.clear();
    this.hooks.onDepthChange?.(0);
    for (const { timer } of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w(undefined);
  }

  private push(key: string): void {
    const waiter = this.waiters.shift();
    if (waiter) {
      this.take(key);
      waiter(key);
      return;
    }
    this.queue.push(key);
    this.hooks.onDepthChange?.(this.queue.length);
  }

  private take(key: string): void {
    this.dirty.delete(key);
    this.processing.add(key);
    this.hooks.onDepthChange?.(this.queue.length);
  }
}
