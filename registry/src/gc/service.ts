// Runs garbage collection under the lease: on the Registry's schedule and on demand.
// A run first applies retention rules (which may leave manifests and blobs
// unreferenced), then collects. Runs in one process never overlap.
import type { RegistryConfig } from '#contract/config/schema.js';
import type { Logger } from '../log.js';
import type { MetadataIndex } from '../metadata/index.js';
import type { Metrics } from '../metrics/metrics.js';
import type { Retention, RetentionExecutor, RetentionReport } from '../policy/retention.js';
import type { GcLease } from '../storage/gc-lease.js';
import type { RegistryStorage } from '../storage/registry-storage.js';
import { GarbageCollector, type CollectionListener, type GcReport } from './collector.js';

export type GcRunResult =
  | { readonly status: 'done'; readonly report: GcReport; readonly retention: RetentionReport }
  | { readonly status: 'busy'; readonly holder: string };

export interface GcServiceOptions {
  readonly storage: RegistryStorage;
  readonly index: MetadataIndex;
  /** Brings the index up to date after writes that died half-way, before each mark. */
  readonly repair: { repair(): Promise<number> };
  readonly config: RegistryConfig['gc'];
  readonly log: Logger;
  readonly metrics: Metrics;
  readonly retention: Retention;
  /** The write path: retention deletes through it, and it follows what the collector deleted. */
  readonly writes: { readonly retention: RetentionExecutor; readonly collection: CollectionListener };
  /** Told about every run that held the lease, when it ends (the audit log). */
  readonly onFinished?: (dryRun: boolean, outcome: GcRunResult | Error) => void;
}

export class GcService {
  private readonly collector: GarbageCollector;
  private readonly lease: GcLease;
  private current?: Promise<GcRunResult>;
  private currentDryRun = false;
  private timer?: NodeJS.Timeout;
  private requested = false;

  constructor(private readonly options: GcServiceOptions) {
    this.collector = new GarbageCollector(options.storage, options.index, options.log, options.metrics, options.writes.collection);
    this.lease = options.storage.gc.lease({ ttlMs: options.config.leaseSeconds * 1000, settleMs: 200 });
  }

  /** Starts the schedule (when `gc.enabled`). */
  start(): void {
    const { enabled, intervalSeconds } = this.options.config;
    if (!enabled || intervalSeconds <= 0) return;
    this.timer = setInterval(() => {
      this.run({}).catch((err) => this.options.log.error({ msg: 'scheduled garbage collection failed', err }));
    }, intervalSeconds * 1000);
    this.timer.unref();
  }

  /** One run; a run of the same kind already going in this process is joined rather than repeated. */
  async run(request: { dryRun?: boolean }): Promise<GcRunResult> {
    const dryRun = request.dryRun ?? this.options.config.dryRun;
    if (this.current && this.currentDryRun !== dryRun) return { status: 'busy', holder: this.lease.owner };
    this.currentDryRun = dryRun;
    this.current ??= this.runOnce(dryRun).finally(() => { this.current = undefined; });
    return this.current;
  }

  /**
   * Asks for a run soon (a cache evicted content and wants its bytes freed): the
   * run starts once any current run ended, and requests made until then share it.
   */
  request(): void {
    if (this.requested) return;
    this.requested = true;
    void (async () => {
      await this.current?.catch(() => undefined);
      this.requested = false;
      await this.run({}).catch((err) => this.options.log.error({ msg: 'requested garbage collection failed', err }));
    })();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.current?.catch(() => undefined);
  }

  private async runOnce(dryRun: boolean): Promise<GcRunResult> {
    const { config, log, metrics, retention, writes } = this.options;
    const holder = await this.lease.acquire();
    if (holder) {
      metrics.gcRuns.inc({ result: 'busy' });
      return { status: 'busy', holder };
    }
    const end = metrics.gcDuration.startTimer();
    const renewEveryMs = (config.leaseSeconds * 1000) / 3;
    let renewedAt = Date.now();
    const stillOwner = async () => {
      if (Date.now() - renewedAt < renewEveryMs) return true;
      renewedAt = Date.now();
      return this.lease.renew();
    };
    try {
      await this.options.repair.repair();
      const retentionReport = await retention.apply({ dryRun }, writes.retention);
      const report = await this.collector.collect({
        gracePeriodMs: config.gracePeriodSeconds * 1000, dryRun, deleteUntagged: config.deleteUntagged, stillOwner,
      });
      metrics.gcRuns.inc({ result: report.aborted ? 'aborted' : 'success' });
      log.info({
        msg: 'garbage collection finished', dryRun, durationSeconds: report.durationSeconds, blobsDeleted: report.blobsDeleted,
        bytesFreed: report.bytesFreed, manifestsDeleted: report.manifestsDeleted.length, restored: report.restored,
      });
      const result: GcRunResult = { status: 'done', report, retention: retentionReport };
      this.options.onFinished?.(dryRun, result);
      return result;
    } catch (err) {
      metrics.gcRuns.inc({ result: 'failure' });
      this.options.onFinished?.(dryRun, err instanceof Error ? err : new Error(String(err)));
      throw err;
    } finally {
      end({ dry_run: String(dryRun) });
      await this.lease.release().catch((err) => log.warn({ msg: 'could not release the GC lease', err }));
    }
  }
}
