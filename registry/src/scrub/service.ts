// When scrub runs: at start when the index is empty but storage is not (the first
// start of a registry with data, or an embedded index on a fresh volume), in a
// repair loop for writes that died half-way, and in full on the configured
// interval, under the GC lease so one replica scrubs at a time and never while it
// collects.
import type { Logger } from '../log.js';
import type { MetadataIndex } from '../metadata/index.js';
import { StorageUnavailableError, type RegistryStorage } from '../storage/registry-storage.js';
import { IndexRepair } from './repair.js';
import { Scrubber, type ScrubReport } from './scrubber.js';

const REPAIR_INTERVAL_MS = 30_000;
const BUILD_RETRY_MS = 5_000;
const LEASE = { ttlMs: 300_000, settleMs: 200 };

export class ScrubService {
  readonly scrubber: Scrubber;
  readonly repair: IndexRepair;
  private readonly timers: NodeJS.Timeout[] = [];
  private full?: Promise<ScrubReport | undefined>;
  private buildPending = false;

  constructor(
    private readonly storage: RegistryStorage,
    private readonly index: MetadataIndex,
    private readonly log: Logger,
    private readonly options: { readonly intervalSeconds: number; readonly repairAfterSeconds: number },
  ) {
    this.scrubber = new Scrubber(storage, index, log);
    this.repair = new IndexRepair(this.scrubber, index, log, options.repairAfterSeconds * 1000);
  }

  /**
   * buildIfEmpty at start. A store that is unavailable then does not keep the
   * registry from starting (it answers 503 until the store is back, like any
   * replica whose store goes away): the build is retried by start() until it runs.
   */
  async buildAtStart(): Promise<void> {
    try {
      await this.buildIfEmpty();
    } catch (err) {
      if (!(err instanceof StorageUnavailableError)) throw err;
      this.log.warn({ msg: 'storage unavailable: the metadata index will be built when it is back', err: err.message });
      this.buildPending = true;
    }
  }

  /** Builds the index from storage when it has no repository and storage has some; resolves once it is built. */
  async buildIfEmpty(): Promise<ScrubReport | undefined> {
    if ((await this.index.catalog({ n: 1 })).items.length > 0) return undefined;
    const stored = await this.storage.repositories.list();
    if (!stored.length) return undefined;
    this.log.info({ msg: 'building the metadata index from storage', repositories: stored.length });
    const report = await this.scrubber.scrubAll();
    this.log.info({ msg: 'metadata index built', repositories: report.repositories, seconds: report.seconds });
    return report;
  }

  start(): void {
    const every = (ms: number, task: () => Promise<unknown>, what: string) => {
      const timer = setInterval(() => { task().catch((err) => this.log.warn({ msg: `${what} failed`, err: (err as Error).message })); }, ms);
      timer.unref();
      this.timers.push(timer);
    };
    every(Math.min(REPAIR_INTERVAL_MS, this.options.repairAfterSeconds * 1000), () => this.repair.repair(), 'metadata index repair');
    if (this.buildPending) {
      every(BUILD_RETRY_MS, async () => {
        if (!this.buildPending) return;
        await this.buildIfEmpty();
        this.buildPending = false;
      }, 'metadata index build');
    }
    if (this.options.intervalSeconds > 0) every(this.options.intervalSeconds * 1000, () => this.scrubAll(), 'scheduled scrub');
  }

  /** A full scrub under the GC lease; undefined when another replica holds it. */
  scrubAll(options: { dryRun?: boolean } = {}): Promise<ScrubReport | undefined> {
    this.full ??= this.underLease(() => this.scrubber.scrubAll(options)).finally(() => { this.full = undefined; });
    return this.full;
  }

  async stop(): Promise<void> {
    this.timers.forEach(clearInterval);
    await this.full?.catch(() => undefined);
  }

  private async underLease<T>(task: () => Promise<T>): Promise<T | undefined> {
    const lease = this.storage.gc.lease(LEASE);
    if (await lease.acquire()) return undefined;
    try {
      const report = await task();
      this.log.info({ msg: 'scrub finished', report });
      return report;
    } finally {
      await lease.release().catch(() => undefined);
    }
  }
}
