// One scan: the image's inventory (stored, the user's SBOM, or indexed from its
// layers), Berth's SBOM attached as a referrer unless the user pushed one, then
// the match stored per (digest, database). A backend that cannot match right
// now (no database, an adapter down or slow) leaves the image pending, to be
// scanned again when next asked; any other failure is stored as failed.
import type { SecurityConfig } from '#contract/config/security.js';
import { Code, hasCode } from '../errors.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics/metrics.js';
import type { RegistryStorage } from '../storage/registry-storage.js';
import { INDEXER } from '../security/inventory/model.js';
import { BackendUnavailableError, type MatchBackend } from './backends/backend.js';
import type { ImageInventory, Inventories, Obtained } from './inventories.js';
import type { Results } from './results.js';
import type { SbomReferrers, Subject } from './sbom-referrer.js';
import type { ScanJob, YieldPoint } from './scan-queue.js';

export type ScanOutcome = 'done' | 'pending' | 'failed' | 'gone';

export class Scanner {
  constructor(
    private readonly config: SecurityConfig['scanning'],
    private readonly storage: RegistryStorage,
    private readonly inventories: Inventories,
    private readonly sboms: SbomReferrers,
    private readonly results: Results,
    private readonly backend: MatchBackend,
    private readonly metrics: Metrics,
    private readonly log: Logger,
  ) {}

  /** `yieldPoint` is awaited between steps and layer chunks, never inside a write (scan-queue.ts says when it waits). */
  async scan(job: ScanJob, yieldPoint: YieldPoint = () => Promise.resolve()): Promise<ScanOutcome> {
    const started = performance.now();
    let outcome: ScanOutcome = 'done';
    try {
      let meta;
      try {
        meta = (await this.storage.manifests.resolve(job.repo, job.digest)).meta;
      } catch (err) {
        if (hasCode(err, Code.MANIFEST_UNKNOWN)) return (outcome = 'gone');
        throw err;
      }
      const obtained = await this.inventories.obtain(job.repo, job.digest, yieldPoint);
      await yieldPoint();
      if (this.config.attachSbom) await this.attachSboms(job.repo, obtained, { digest: job.digest, mediaType: meta.mediaType, size: meta.size });
      await yieldPoint();
      await this.results.matchAndStore(job.repo, obtained, meta.mediaType, { announce: false });
      return outcome;
    } catch (err) {
      if (err instanceof BackendUnavailableError) {
        this.log.info({ msg: 'scan left pending', repo: job.repo, digest: job.digest, reason: err.message });
        return (outcome = 'pending');
      }
      outcome = 'failed';
      this.log.warn({ msg: 'scan failed', repo: job.repo, digest: job.digest, err: (err as Error).message });
      await this.results.storeFailure(job.digest, (err as Error).message).catch(() => undefined);
      return outcome;
    } finally {
      this.metrics.scanDuration.observe({ backend: this.backend.name, result: outcome }, (performance.now() - started) / 1000);
    }
  }

  /** Berth's SBOM for each image manifest that has none in this repository (an index's children each get theirs). */
  private async attachSboms(repo: string, obtained: Obtained, subject: Subject): Promise<void> {
    if (obtained.kind === 'image') {
      await this.attachOne(repo, obtained.image, subject);
    } else if (obtained.kind === 'index') {
      const body = JSON.parse((await this.storage.manifests.get(repo, subject.digest)).body.toString('utf8')) as { manifests?: Subject[] };
      for (const child of obtained.children) {
        const d = body.manifests?.find((m) => m.digest === child.record.digest);
        if (d) await this.attachOne(repo, child, { digest: d.digest, mediaType: d.mediaType, size: d.size });
      }
    }
  }

  private async attachOne(repo: string, image: ImageInventory, subject: Subject): Promise<void> {
    if (image.record.source !== 'indexer') return; // the user's SBOM is the SBOM
    const existing = await this.sboms.list(repo, subject.digest);
    if (existing.length) return; // ours already there, or the user's (used as is, never overwritten)
    try {
      const digest = await this.sboms.attach(repo, subject, image.sbom(), INDEXER);
      await this.inventories.sbomAttached(subject.digest, digest);
    } catch (err) {
      // A quota that leaves no room, a read-only moment: the scan still counts.
      this.log.warn({ msg: 'SBOM not attached', repo, digest: subject.digest, err: (err as Error).message });
    }
  }
}
