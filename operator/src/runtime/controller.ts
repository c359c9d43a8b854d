// A controller wires informers to a work queue and runs a reconciler per key.
// It is level-triggered: events only say "look at this key again"; the
// reconciler reads the current state and never learns what kind of event it was.
import type { KubeClient } from '../kube/client.js';
import { objectKey, type KubeObject } from '../kube/types.js';
import { ExponentialBackoff } from './backoff.js';
import { isTerminal } from './errors.js';
import { Informer } from './informer.js';
import type { Logger } from './logger.js';
import type { OperatorMetrics } from './metrics.js';
import { WorkQueue } from './workqueue.js';

export interface ReconcileResult {
  /** Reconcile this key again after this many ms (time-based work, e.g. key rotation). */
  requeueAfterMs?: number;
}

export type Reconciler = (key: string, log: Logger) => Promise<ReconcileResult | void>;

export interface WatchSource {
  apiVersion: string;
  kind: string;
  labelSelector?: string;
  /** Watch every namespace even when the controller's primary kind is restricted to one (e.g. pull secrets in app namespaces). */
  clusterWide?: boolean;
  /** Maps an observed object to the primary keys to reconcile. */
  toKeys(obj: KubeObject): string[];
}

export interface ControllerOptions {
  name: string;
  /** `toKeys` defaults to the object's own key (a reconciler may skip events of its own writes). */
  primary: { apiVersion: string; kind: string; toKeys?(obj: KubeObject): string[] };
  /** Secondary kinds whose changes re-trigger their owner (e.g. an owned Deployment). */
  watches?: WatchSource[];
  namespace?: string;
  resyncMs: number;
  workers: number;
  backoff?: { baseMs: number; maxMs: number };
}

/** Maps an owned object to its controlling owner's key, if the owner has the given kind. */
export function ownerKeys(apiVersion: string, kind: string): (obj: KubeObject) => string[] {
  return (obj) =>
    (obj.metadata.ownerReferences ?? [])
      .filter((r) => r.controller && r.kind === kind && r.apiVersion === apiVersion)
      .map((r) => `${obj.metadata.namespace}/${r.name}`);
}

export class Controller {
  readonly queue: WorkQueue;
  private readonly informers: Informer[];
  private workers: Promise<void>[] = [];

  constructor(
    client: KubeClient,
    private readonly opts: ControllerOptions,
    private readonly reconcile: Reconciler,
    private readonly log: Logger,
    private readonly metrics: OperatorMetrics,
  ) {
    const labels = { controller: opts.name };
    this.queue = new WorkQueue(new ExponentialBackoff(opts.backoff), {
      onDepthChange: (d) => metrics.queueDepth.set(labels, d),
      onAdd: () => metrics.queueAdds.inc(labels),
      onRetry: () => metrics.queueRetries.inc(labels),
    });
    const sources: WatchSource[] = [
      { ...opts.primary, toKeys: opts.primary.toKeys ?? ((o: KubeObject) => [objectKey(o)]) },
      ...(opts.watches ?? []),
    ];
    this.informers = sources.map((s) =>
      new Informer(client, { apiVersion: s.apiVersion, kind: s.kind, labelSelector: s.labelSelector, namespace: s.clusterWide ? undefined : opts.namespace, resyncMs: opts.resyncMs },
        (obj) => { for (const key of s.toKeys(obj)) this.queue.add(key); }, log, metrics));
  }

  start(): void {
    for (const i of this.informers) i.start();
    for (let n = 0; n < this.opts.workers; n++) this.workers.push(this.work());
  }

  hasSynced(): boolean {
    return this.informers.every((i) => i.hasSynced());
  }

  /** The cached objects of a watched kind (the primary kind included), for reconcilers that read many objects per pass. */
  cached(apiVersion: string, kind: string): KubeObject[] {
    const informer = this.informers.find((i) => i.opts.apiVersion === apiVersion && i.opts.kind === kind);
    if (!informer) throw new Error(`controller ${this.opts.name} does not watch ${apiVersion} ${kind}`);
    return informer.list();
  }

  /** Stops watching, lets in-flight reconciles finish, and drops queued keys. */
  async stop(): Promise<void> {
    this.queue.shutDown();
    await Promise.all(this.informers.map((i) => i.stop()));
    await Promise.all(this.workers);
  }

  private async work(): Promise<void> {
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      try {
        await this.processOne(key);
      } finally {
        this.queue.done(key);
      }
    }
  }

  private async processOne(key: string): Promise<void> {
    const labels = { controller: this.opts.name };
    const log = this.log.child({ controller: this.opts.name, key });
    const end = this.metrics.reconcileDuration.startTimer(labels);
    try {
      const result = await this.reconcile(key, log);
      this.queue.forget(key);
      if (result?.requeueAfterMs !== undefined) {
        this.queue.addAfter(key, result.requeueAfterMs);
        this.metrics.reconcileTotal.inc({ ...labels, result: 'requeue' });
      } else {
        this.metrics.reconcileTotal.inc({ ...labels, result: 'success' });
      }
    } catch (err) {
      this.metrics.reconcileErrors.inc(labels);
      if (isTerminal(err)) {
        // Retrying cannot fix an invalid spec; the next spec change re-triggers us.
        this.queue.forget(key);
        this.metrics.reconcileTotal.inc({ ...labels, result: 'terminal' });
        log.warn('reconcile failed permanently', { error: err.message });
      } else {
        this.queue.addRateLimited(key);
        this.metrics.reconcileTotal.inc({ ...labels, result: 'error' });
        log.warn('reconcile failed; retrying with backoff', { error: String(err), retries: this.queue.backoff.retries(key) });
      }
    } finally {
      end();
    }
  }
}
