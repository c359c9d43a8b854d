// An informer: list, then watch from the list's resourceVersion, keeping a cache.
// It relists (and diffs the cache, so deletions missed while disconnected are
// still reported) when the watch answers 410 Gone, after any error, and every
// resync period, when it also reports every object again so that reconcilers
// periodically re-check the world even if no event arrives.
import type { KubeClient } from '../kube/client.js';
import { isGone } from '../kube/errors.js';
import { objectKey, type KubeObject, type WatchEvent } from '../kube/types.js';
import type { Logger } from './logger.js';
import type { OperatorMetrics } from './metrics.js';
import { sleep } from './sleep.js';

export interface InformerOptions {
  apiVersion: string;
  kind: string;
  namespace?: string;
  labelSelector?: string;
  resyncMs: number;
  /** Server-side watch timeout; the watch is simply re-opened from the last resourceVersion. */
  watchTimeoutSeconds?: number;
}

/** Called for every observed change; `deleted` is true when the object is gone. */
export type InformerHandler = (obj: KubeObject, deleted: boolean) => void;

export class Informer {
  private readonly cache = new Map<string, KubeObject>();
  private resourceVersion: string | undefined;
  private synced = false;
  private markSynced!: () => void;
  private readonly firstSync = new Promise<void>((resolve) => (this.markSynced = resolve));
  private readonly abort = new AbortController();
  private loop: Promise<void> | undefined;

  constructor(
    private readonly client: KubeClient,
    readonly opts: InformerOptions,
    private readonly handler: InformerHandler,
    private readonly log: Logger,
    private readonly metrics?: OperatorMetrics,
  ) {}

  start(): void {
    this.loop ??= this.run();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop;
  }

  hasSynced(): boolean {
    return this.synced;
  }

  /** Resolves once the cache holds a complete list. */
  whenSynced(): Promise<void> {
    return this.firstSync;
  }

  list(): KubeObject[] {
    return [...this.cache.values()];
  }

  private get stopped(): boolean {
    return this.abort.signal.aborted;
  }

  private async run(): Promise<void> {
    let cause = 'start';
    let errorDelayMs = 500;
    while (!this.stopped) {
      try {
        await this.relist(cause);
        errorDelayMs = 500;
        await this.watchUntilResync();
        cause = 'resync';
      } catch (err) {
        if (this.stopped) break;
        if (isGone(err)) {
          cause = 'gone';
          this.log.info('watch expired (410 Gone); relisting', { kind: this.opts.kind });
          continue;
        }
        cause = 'error';
        this.log.warn('list/watch failed; relisting after backoff', { kind: this.opts.kind, error: String(err), delayMs: errorDelayMs });
        await sleep(errorDelayMs, this.abort.signal);
        errorDelayMs = Math.min(errorDelayMs * 2, 30_000);
      }
    }
  }

  private async relist(cause: string): Promise<void> {
    const { apiVersion, kind, namespace, labelSelector } = this.opts;
    const list = await this.client.list(apiVersion, kind, { namespace, labelSelector });
    this.metrics?.informerRelists.inc({ kind, cause });
    const fresh = new Map(list.items.map((o) => [objectKey(o), o]));
    for (const [key, old] of this.cache) {
      if (!fresh.has(key)) this.handler(old, true);
    }
    for (const [key, obj] of fresh) {
      const old = this.cache.get(key);
      // On a resync every object is reported again, changed or not.
      if (cause === 'resync' || !old || old.metadata.resourceVersion !== obj.metadata.resourceVersion) this.handler(obj, false);
    }
    this.cache.clear();
    for (const [key, obj] of fresh) this.cache.set(key, obj);
    this.resourceVersion = list.metadata.resourceVersion;
    this.synced = true;
    this.markSynced();
  }

  private async watchUntilResync(): Promise<void> {
    const resyncAt = Date.now() + this.opts.resyncMs;
    while (!this.stopped) {
      const remainingS = Math.ceil((resyncAt - Date.now()) / 1000);
      if (remainingS <= 0) return;
      const timeoutSeconds = Math.min(remainingS, this.opts.watchTimeoutSeconds ?? 300);
      const { apiVersion, kind, namespace, labelSelector } = this.opts;
      await this.client.watch(apiVersion, kind, { namespace, labelSelector, resourceVersion: this.resourceVersion, timeoutSeconds },
        (e) => this.onEvent(e), this.abort.signal);
    }
  }

  private onEvent(e: WatchEvent): void {
    const rv = e.object.metadata?.resourceVersion;
    if (rv) this.resourceVersion = rv;
    if (e.type === 'BOOKMARK') return;
    const key = objectKey(e.object);
    if (e.type === 'DELETED') {
      this.cache.delete(key);
      this.handler(e.object, true);
    } else {
      this.cache.set(key, e.object);
      this.handler(e.object, false);
    }
  }
}
