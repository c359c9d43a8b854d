// Scanning as one service: a write listener that queues each pushed image
// (never waiting; what is not an image, scan-target.ts, is recorded as not
// applicable instead, so signatures never take a queue slot), the scanner
// behind a bounded queue, the vulnerability
// database and the re-match it triggers, results for the pull path and the
// API, and the repository gauges. Off (`security.scanning.enabled: false`), it
// queues nothing and every result stays pending.
import type { RegistryConfig } from '#contract/config/schema.js';
import type { EventSink } from '../events/event-bus.js';
import type { Logger } from '../log.js';
import type { MetadataIndex } from '../metadata/index.js';
import type { Metrics } from '../metrics/metrics.js';
import { CYCLONEDX_MEDIA_TYPE } from '../security/inventory/cyclonedx.js';
import { Indexer } from '../security/inventory/indexer.js';
import type { RegistryStorage } from '../storage/registry-storage.js';
import type { WriteEvent, WriteListener } from '../write/write-events.js';
import type { WritePath } from '../write/write-path.js';
import { Announcer } from './announcer.js';
import type { MatchBackend } from './backends/backend.js';
import { BuiltinBackend } from './backends/builtin.js';
import { HarborAdapterBackend } from './backends/harbor-adapter.js';
import { OsvScannerBackend } from './backends/osv-scanner.js';
import { blobOpener } from './content.js';
import { Inventories } from './inventories.js';
import { Rematcher, type RematchReport } from './rematcher.js';
import { Results, type StoredResult } from './results.js';
import { SBOM_INDEXER_ANNOTATION, SbomReferrers } from './sbom-referrer.js';
import { ScanQueue, type Offer, type ScanJob } from './scan-queue.js';
import { scanTargetOf } from './scan-target.js';
import { Scanner } from './scanner.js';
import type { TrustStore } from './trust-store.js';
import { repositoryVulnerabilities, VulnerabilityGauges, type RepositoryVulnerabilities } from './vulnerability-summary.js';
import { VulnDbService, type VulnDbStatus } from './vulndb-service.js';

export interface ScanServiceDeps {
  readonly config: RegistryConfig;
  readonly storage: RegistryStorage;
  readonly index: MetadataIndex;
  readonly writes: WritePath;
  readonly trust: TrustStore;
  readonly events: EventSink;
  readonly metrics: Metrics;
  readonly log: Logger;
  /** Pull-only tokens for the Harbor adapter (undefined when auth is off). */
  readonly scannerToken?: (repo: string) => Promise<string>;
}

export interface ScanningStatus {
  readonly enabled: boolean;
  readonly backend: string;
  readonly resultKey?: string;
  readonly queue: { readonly depth: number; readonly running: number; readonly capacity: number };
  readonly vulnDB: VulnDbStatus;
  readonly inventories: number;
  readonly resultsForCurrentDatabase: number;
  readonly lastRematch?: RematchReport;
  readonly rematching: boolean;
  readonly layerReads: number;
}

function backendOf(deps: ScanServiceDeps, vulndb: VulnDbService, signal: AbortSignal): MatchBackend {
  const scanning = deps.config.security.scanning;
  switch (scanning.backend) {
    case 'osv-scanner':
      return new OsvScannerBackend(scanning.osvScanner, vulndb, blobOpener(deps.storage));
    case 'harbor-adapter':
      return new HarborAdapterBackend(scanning.harborAdapter!, { registryURL: deps.config.http.publicURL, scannerToken: deps.scannerToken, signal });
    default:
      return new BuiltinBackend(vulndb);
  }
}

/**
 * How long uploads and manifest PUTs must have been over before a scan on push
 * goes on: longer than the gap between one push's requests (a client's round
 * trip on the way to the next blob), so a scan does not resume in each gap.
 */
const WRITES_QUIET_MS = 50;

export class ScanService implements WriteListener {
  readonly vulndb: VulnDbService;
  readonly backend: MatchBackend;
  readonly results: Results;
  readonly inventories: Inventories;
  readonly rematcher: Rematcher;
  private readonly queue: ScanQueue;
  private readonly gauges: VulnerabilityGauges;
  private readonly stopping = new AbortController();
  private readonly enabled: boolean;
  /** One-off commands (vulndb import) write without serving: nothing is scanned or loaded for them. */
  private started = false;

  constructor(private readonly deps: ScanServiceDeps) {
    const { config, storage, index, writes, trust, metrics, log } = deps;
    const scanning = config.security.scanning;
    this.enabled = scanning.enabled;
    this.vulndb = new VulnDbService(config.security.vulnDB, storage, index, trust, metrics, log);
    this.backend = backendOf(deps, this.vulndb, this.stopping.signal);
    const sboms = new SbomReferrers(storage, index, writes);
    this.inventories = new Inventories(index, storage, new Indexer({ openBlob: blobOpener(storage) }), sboms, scanning);
    this.results = new Results(index, this.backend);
    this.gauges = new VulnerabilityGauges(index, this.results, metrics, log);
    this.rematcher = new Rematcher(index, this.inventories, this.results, this.backend, new Announcer(index, deps.events), log);
    const scanner = new Scanner(scanning, storage, this.inventories, sboms, this.results, this.backend, metrics, log);
    this.queue = new ScanQueue(scanning.queueSize, scanning.concurrency, async (job, yieldPoint) => {
      if ((await scanner.scan(job, yieldPoint)) === 'done') this.gauges.mark(job.repo);
    }, {
      depth: (n) => metrics.scanQueueDepth.set(n),
      dropped: (job) => {
        metrics.scansDropped.inc();
        log.warn({ msg: 'scan queue full: scan not queued', repo: job.repo, digest: job.digest, reason: job.reason });
      },
      failed: (job, err) => log.error({ msg: 'scan job failed', repo: job.repo, digest: job.digest, err: (err as Error).message }),
      deferred: (_job, seconds, ended) => metrics.scanWriteDeferral.observe({ ended }, seconds),
    }, scanning.yieldToWritesSeconds > 0
      ? { writes: writes.inFlight, maxDelayMs: scanning.yieldToWritesSeconds * 1000, quietMs: WRITES_QUIET_MS }
      : undefined);
    this.vulndb.onChange(() => {
      void this.rematcher.rematch().then(() => this.gauges.markAll()).catch((err: unknown) => log.error({ msg: 're-match failed', err: (err as Error).message }));
    });
  }

  get isEnabled(): boolean {
    return this.enabled;
  }

  start(): void {
    this.started = true;
    if (this.enabled && this.backend.followsVulnDb) this.vulndb.start();
  }

  async stop(): Promise<void> {
    this.vulndb.stop();
    this.stopping.abort();
    await this.queue.close();
    await this.gauges.stop();
  }

  onWrite(event: WriteEvent): void {
    switch (event.kind) {
      case 'manifest-put':
        if (!this.enabled || !this.started) return;
        if (event.repo === this.vulndb.repository) {
          void this.vulndb.refresh();
          return;
        }
        if (event.subject) {
          // A user's SBOM arriving for an image: scan it again from that SBOM. Other referrers are not images.
          if (isUserSbom(event.body)) this.request(event.repo, event.subject.value, 'sbom');
          return;
        }
        this.onPushed(event.repo, event.digest.value, event.body);
        break;
      case 'tag-deleted':
      case 'manifest-deleted':
      case 'repository-deleted':
        this.gauges.mark(event.repo);
        break;
      case 'gc-blob-collected':
        // A manifest body is a blob: when it is gone, so is everything said about it.
        void this.deps.index.forgetSecurity([event.digest.value]).catch(() => undefined);
        break;
      default:
        break;
    }
  }

  /** An image or index is queued; anything else is recorded as not applicable, with why (its result too, when a database is in use). */
  private onPushed(repo: string, digest: string, body: Buffer): void {
    const target = scanTargetOf(body);
    if (target.kind !== 'not-applicable') {
      this.request(repo, digest, 'push');
      return;
    }
    void (async () => {
      const obtained = await this.inventories.notApplicable(digest, target.reason);
      if (this.backend.resultKey()) await this.results.matchAndStore(repo, obtained, '', { announce: false });
    })().catch((err: unknown) => this.deps.log.warn({ msg: 'not-applicable result not stored', repo, digest, err: (err as Error).message }));
  }

  /** The reason a digest is not scanned, when it is not an image: known whether or not a database is in use. */
  async notApplicable(digest: string): Promise<string | undefined> {
    const record = await this.deps.index.inventory(digest);
    return record?.kind === 'not-applicable' ? record.body ?? 'not a container image' : undefined;
  }

  /** Queues a scan (never waits); `dropped` when scanning is off or the queue is full. */
  request(repo: string, digest: string, reason: ScanJob['reason']): Offer {
    if (!this.enabled) return 'dropped';
    return this.queue.offer({ repo, digest, reason });
  }

  pending(digest: string): boolean {
    return this.queue.pending(digest);
  }

  /** Waits for a queued or running scan of the digest for at most `ms`; true when none is left. */
  waitFor(digest: string, ms: number): Promise<boolean> {
    return this.queue.waitFor(digest, ms);
  }

  /** The digest's result against the current database, if any. */
  result(digest: string): Promise<StoredResult | undefined> {
    return this.results.current(digest);
  }

  /** Waits until nothing is queued or running (tests, benchmarks). */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  repositoryVulnerabilities(repo: string): Promise<RepositoryVulnerabilities> {
    return repositoryVulnerabilities(this.deps.index, this.results, repo);
  }

  async status(): Promise<ScanningStatus> {
    const key = this.backend.resultKey();
    const counts = await this.deps.index.scanCounts(key);
    return {
      enabled: this.enabled,
      backend: this.backend.name,
      ...(key ? { resultKey: key } : {}),
      queue: { depth: this.queue.depth, running: this.queue.running, capacity: this.deps.config.security.scanning.queueSize },
      vulnDB: this.vulndb.status(),
      inventories: counts.inventories,
      resultsForCurrentDatabase: counts.results,
      ...(this.rematcher.last ? { lastRematch: this.rematcher.last } : {}),
      rematching: this.rematcher.inProgress,
      layerReads: this.inventories.layerReads,
    };
  }
}

/** A CycloneDX referrer that is not Berth's own. */
function isUserSbom(body: Buffer): boolean {
  try {
    const m = JSON.parse(body.toString('utf8')) as { artifactType?: string; annotations?: Record<string, string> };
    return m.artifactType === CYCLONEDX_MEDIA_TYPE && m.annotations?.[SBOM_INDEXER_ANNOTATION] === undefined;
  } catch {
    return false;
  }
}
