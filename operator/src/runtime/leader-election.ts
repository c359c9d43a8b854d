// Lease-based leader election (coordination.k8s.io/v1), following client-go:
// candidates poll the Lease every retryPeriod; the holder renews it; a candidate
// takes over once it has seen no renewal for leaseDuration, measured on its own
// clock from when it last saw the record change (so clock skew between nodes does
// not matter). Writes carry the resourceVersion, so two candidates racing for an
// expired lease cannot both win: the loser gets 409 Conflict.
import type { KubeClient } from '../kube/client.js';
import { isConflict, isNotFound } from '../kube/errors.js';
import type { KubeObject } from '../kube/types.js';
import type { Logger } from './logger.js';
import { sleep } from './sleep.js';

export interface LeaderElectionOptions {
  namespace: string;
  name: string;
  identity: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
}

interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

interface Lease extends KubeObject {
  spec?: LeaseSpec;
}

/** metav1.MicroTime wants exactly six fractional digits. */
export function microTime(d = new Date()): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

export class LeaderElector {
  private observedRecord = '';
  private observedAt = 0;
  private leading = false;

  constructor(
    private readonly client: KubeClient,
    private readonly opts: LeaderElectionOptions,
    private readonly log: Logger,
  ) {}

  get isLeader(): boolean {
    return this.leading;
  }

  /** Blocks until this process holds the lease (false if the signal aborted first). */
  async acquire(signal: AbortSignal): Promise<boolean> {
    while (!signal.aborted) {
      if (await this.tryAcquireOrRenew()) {
        this.leading = true;
        this.log.info('became leader', { lease: `${this.opts.namespace}/${this.opts.name}`, identity: this.opts.identity });
        return true;
      }
      await sleep(this.opts.retryPeriodMs, signal);
    }
    return false;
  }

  /**
   * Renews the lease until the signal aborts (then releases it and resolves) or
   * until renewal has failed for renewDeadline (then rejects: leadership is lost,
   * and the caller must stop reconciling at once).
   */
  async holdUntil(signal: AbortSignal): Promise<void> {
    let lastRenew = Date.now();
    while (!signal.aborted) {
      await sleep(this.opts.retryPeriodMs, signal);
      if (signal.aborted) break;
      if (await this.tryAcquireOrRenew()) {
        lastRenew = Date.now();
      } else if (Date.now() - lastRenew > this.opts.renewDeadlineMs) {
        this.leading = false;
        throw new Error(`leader lease not renewed for ${this.opts.renewDeadlineMs} ms`);
      }
    }
    await this.release();
  }

  /** Gives the lease up so a standby takes over without waiting for it to expire. */
  async release(): Promise<void> {
    if (!this.leading) return;
    this.leading = false;
    try {
      const lease = await this.client.get<Lease>('coordination.k8s.io/v1', 'Lease', this.opts.name, this.opts.namespace);
      if (lease.spec?.holderIdentity !== this.opts.identity) return;
      lease.spec = { ...lease.spec, holderIdentity: undefined, leaseDurationSeconds: 1, renewTime: microTime() };
      await this.client.update(lease);
      this.log.info('released leader lease');
    } catch (err) {
      this.log.warn('could not release leader lease', { error: String(err) });
    }
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const { namespace, name, identity } = this.opts;
    const leaseDurationSeconds = Math.ceil(this.opts.leaseDurationMs / 1000);
    const now = microTime();
    let lease: Lease;
    try {
      lease = await this.client.get<Lease>('coordination.k8s.io/v1', 'Lease', name, namespace);
    } catch (err) {
      if (!isNotFound(err)) return this.failed('get', err);
      try {
        await this.client.create({
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { name, namespace },
          spec: { holderIdentity: identity, leaseDurationSeconds, acquireTime: now, renewTime: now, leaseTransitions: 0 },
        });
        return true;
      } catch (createErr) {
        return this.failed('create', createErr);
      }
    }
    const spec = lease.spec ?? {};
    const record = `${spec.holderIdentity ?? ''}|${spec.renewTime ?? ''}|${spec.leaseDurationSeconds ?? ''}`;
    if (record !== this.observedRecord) {
      this.observedRecord = record;
      this.observedAt = Date.now();
    }
    const heldByOther = !!spec.holderIdentity && spec.holderIdentity !== identity;
    const expired = this.observedAt + (spec.leaseDurationSeconds ?? leaseDurationSeconds) * 1000 < Date.now();
    if (heldByOther && !expired) return false;

    const mine = spec.holderIdentity === identity;
    lease.spec = {
      holderIdentity: identity,
      leaseDurationSeconds,
      acquireTime: mine && spec.acquireTime ? spec.acquireTime : now,
      renewTime: now,
      leaseTransitions: (spec.leaseTransitions ?? 0) + (mine ? 0 : 1),
    };
    try {
      const updated = await this.client.update<Lease>(lease);
      const s = updated.spec ?? {};
      this.observedRecord = `${s.holderIdentity ?? ''}|${s.renewTime ?? ''}|${s.leaseDurationSeconds ?? ''}`;
      this.observedAt = Date.now();
      return true;
    } catch (err) {
      return this.failed('update', err);
    }
  }

  private failed(op: string, err: unknown): false {
    // A conflict is the normal outcome of losing a race; anything else is worth a log line.
    if (!isConflict(err)) this.log.warn(`leader election ${op} failed`, { error: String(err) });
    return false;
  }
}
