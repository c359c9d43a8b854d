// A controller wires informers to a work queue and runs a reconciler per key.
// It is level-triggered: events only say "look at this key again"; the
// reconciler reads the current state and never learns what kind of event it was.
//
// Each watch has a role name (`policies`, `pullSecrets`, `policySecrets`…), and
// its informer's cache is handed to the reconciler under that name, typed, so two
// watches of one kind (with different selectors) can never be confused.
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

/** Upper bound for timed requeues; the informer resync covers anything later. */
export const MAX_REQUEUE_MS = 6 * 3600_000;

/** Look again in `ms` (at least now, at most MAX_REQUEUE_MS); nothing to wait for when `ms` is not finite. */
export function requeueAfter(ms: number): ReconcileResult | undefined {
  if (!Number.isFinite(ms)) return undefined;
  return { requeueAfterMs: Math.max(0, Math.min(MAX_REQUEUE_MS, ms)) };
}

/** The objects an informer holds, for reconcilers that read many objects per pass. */
export interface Cache<T extends KubeObject> {
  list(): T[];
}

/** A controller's caches by role; the reconciler and every watch's `toKeys` read them. */
export type Caches<C> = { readonly [R in keyof C]: Cache<KubeObject> };

type CachedType<X> = X extends Cache<infer T> ? T : never;

export interface Watch<T extends KubeObject, C> {
  apiVersion: string;
  kind: string;
  labelSelector?: string;
  /** Watch every namespace even when the controller is restricted to one (e.g. pull secrets in app namespaces). */
  clusterWide?: boolean;
  /** Maps an observed object to the keys of the controller's kind to reconcile. */
  toKeys(obj: T, caches: C): string[];
}

export type Watches<C> = { [R in keyof C]: Watch<CachedType<C[R]>, C> };

export interface ControllerSettings {
  /** Only this namespace (the operator's own kinds); undefined: every namespace. */
  namespace?: string;
  resyncMs: number;
  workers: number;
  /** Retry delays after errors grow from backoffBaseMs (default 5) by ×2 per failure up to this. */
  backoffMaxMs: number;
  backoffBaseMs?: number;
}

export interface ControllerOptions<C> extends ControllerSettings {
  name: string;
  watches: Watches<C>;
}

/** `toKeys` of the controller's own kind: the object itself. */
export const ownKey = (obj: KubeObject): string[] => [objectKey(obj)];

/** Maps an owned object to its controlling owner's key, if the owner has the given kind. */
export function ownerKeys(apiVersion: string, kind: string): (obj: KubeObject) => string[] {
  return (obj) =>
    (obj.metadata.ownerReferences ?? [])
      .filter((r) => r.controller && r.kind === kind && r.apiVersion === apiVersion)
      .map((r) => `${obj.metadata.namespace}/${r.name}`);
}

export class Controller<C extends Caches<C>> {
  readonly queue: WorkQueue;
  readonly caches: C;
  private readonly informers: Informer[];
  private readonly reconcile: Reconciler;
  private workers: Promise<void>[] = [];
  private readonly stopping = new AbortController();

  constructor(
    client: KubeClient,
    private readonly opts: ControllerOptions<C>,
    reconciler: (caches: C) => Reconciler,
    private readonly log: Logger,
    private readonly metrics: OperatorMetrics,
  ) {
    const labels = { controller: opts.name };
    this.queue = new WorkQueue(new ExponentialBackoff({ baseMs: opts.backoffBaseMs ?? 5, maxMs: opts.backoffMaxMs }), {
      onDepthChange: (d) => metrics.queueDepth.set(labels, d),
      onAdd: () => metrics.queueAdds.inc(labels),
      onRetry: () => metrics.queueRetries.inc(labels),
    });
    const roles = Object.keys(opts.watches) as Array<keyof C & string>;
    this.informers = roles.map((role) => {
      const w = opts.watches[role] as Watch<KubeObject, C>;
      return new Informer(client, { apiVersion: w.apiVersion, kind: w.kind, labelSelector: w.labelSelector, namespace: w.clusterWide ? undefined : opts.namespace, resyncMs: opts.resyncMs },
        (obj) => { for (const key of w.toKeys(obj, this.caches)) this.queue.add(key); }, log, metrics);
    });
    this.caches = Object.fromEntries(roles.map((role, i) => [role, this.informers[i]])) as unknown as C;
    this.reconcile = reconciler(this.caches);
  }

  get name(): string {
    return this.opts.name;
  }

  start(): void {
    for (const i of this.informers) i.start();
    for (let n = 0; n < this.opts.workers; n++) this.workers.push(this.work());
  }

  hasSynced(): boolean {
    return this.informers.every((i) => i.hasSynced());
  }

  /** Stops watching, lets in-flight reconciles finish, and drops queued keys. */
  async stop(): Promise<void> {
    this.stopping.abort();
    this.queue.shutDown();
    await Promise.all(this.informers.map((i) => i.stop()));
    await Promise.all(this.workers);
  }

  /** Whether every cache synced before stop(): a reconciler must never act on a partial cache (it would delete what it cannot see). */
  private async synced(): Promise<boolean> {
    const stopped = new Promise<false>((resolve) => this.stopping.signal.addEventListener('abort', () => resolve(false), { once: true }));
    return Promise.race([Promise.all(this.informers.map((i) => i.whenSynced())).then(() => true), stopped]);
  }

  private async work(): Promise<void> {
    if (!(await this.synced())) return;
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
