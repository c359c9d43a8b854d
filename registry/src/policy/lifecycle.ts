// Repository lifecycle as the handlers see it: one object holding the settings,
// immutability, quotas, the GC writer protocol, retention, GC and events. Handlers
// call the `before…` methods through the store hooks and `emit` after success.
import { Code, RegistryError } from '../errors.js';
import type { RegistryConfig } from '#contract/config/schema.js';
import { paths } from '../storage/paths.js';
import type { Digest } from '../reference.js';
import type { EventBus } from '../events/event-bus.js';
import { GcMarkers } from '../gc/markers.js';
import type { GcService } from '../gc/service.js';
import type { Logger } from '../log.js';
import type { ParsedManifest } from '../manifest/parse.js';
import type { Metrics } from '../metrics/metrics.js';
import { isNotFound } from '../storage/driver/driver.js';
import type { RegistryStorage } from '../storage/registry-storage.js';
import { TagImmutability } from './immutability.js';
import { QuotaManager } from './quota.js';
import { RepositorySettings } from './repository-settings.js';
import { Retention } from './retention.js';

/** How long a push waits for a quarantined blob to be put back before refusing. */
const QUARANTINE_WAIT_MS = 5000;
/** How long a push waits for a link the sweeper took and may restore. */
const LINK_WAIT_MS = 500;
const POLL_MS = 10;

export class Lifecycle {
  readonly settings: RepositorySettings;
  readonly immutability: TagImmutability;
  readonly quota: QuotaManager;
  readonly retention: Retention;
  readonly markers: GcMarkers;
  gc?: GcService;

  constructor(
    config: RegistryConfig,
    private readonly storage: RegistryStorage,
    readonly events: EventBus,
    log: Logger,
    metrics?: Metrics,
  ) {
    this.settings = new RepositorySettings(config.repositories);
    this.immutability = new TagImmutability(this.settings, storage.tags);
    this.quota = new QuotaManager(this.settings, storage,
      (r) => events.emit('quota-refused', r.repository, { ...r }), metrics);
    this.retention = new Retention(this.settings, storage, log,
      (d) => {
        this.quota.invalidate(d.repository);
        events.emit('delete', d.repository, { actor: 'retention', [d.kind]: d.name, reason: d.reason });
      }, metrics);
    this.markers = new GcMarkers(storage.driver);
  }

  /**
   * The manifest PUT hook (runs after validation, before anything is written):
   * immutability, then the GC writer protocol (touch, then re-check uncached), then
   * the quota for the manifest body. Returns what to call once the put finished.
   */
  async beforeManifestPut(repo: string, tags: readonly string[], digest: Digest, parsed: ParsedManifest, size: number): Promise<(committed: boolean) => Promise<void>> {
    await this.immutability.checkPush(repo, tags, digest);
    await this.markers.touchAll([digest, ...parsed.blobs, ...parsed.manifests]);
    const missing: string[] = [];
    await Promise.all([
      ...parsed.blobs.map(async (d) => {
        if (!(await this.blobPresent(d)) || !(await this.present(paths.layerLink(repo, d), LINK_WAIT_MS))) missing.push(d.value);
      }),
      ...parsed.manifests.map(async (d) => {
        if (!(await this.blobPresent(d)) || !(await this.present(paths.manifestLink(repo, d), LINK_WAIT_MS))) missing.push(d.value);
      }),
    ]);
    if (missing.length) throw new RegistryError(Code.MANIFEST_BLOB_UNKNOWN, { missing: missing.sort() });
    // The body may have been collected since the store cached its size: make the store write it again.
    if (!(await this.blobPresent(digest))) this.storage.blobs.forget(digest);
    return this.quota.admit(repo, digest, size);
  }

  /**
   * Before an upload completes onto a blob that may exist, or a mount links one: the
   * writer's touch. A blob that is absent needs none (the upload moves fresh content
   * into place, younger than any cutoff; a quarantined copy being deleted is a
   * different path), which spares the common case a write.
   */
  async beforeBlobLink(d: Digest): Promise<void> {
    this.storage.blobs.forget(d); // decide "exists?" from storage, never from a cache
    if (!(await this.exists(paths.blob(d)))) return;
    await this.markers.touch(d);
  }

  /**
   * After an upload or mount linked a blob: touch again, then check the blob is still
   * there. A GC run that started before the link existed did not see it, and the
   * blob's age comes from when its data was written, not when it was linked: this
   * touch makes such a run keep or restore the blob (the marker is newer than its
   * start), and the check catches a sweep that came first. A blob that is gone is
   * unlinked and the write refused, so no link ever points at nothing.
   */
  async afterBlobLink(repo: string, d: Digest): Promise<void> {
    await this.markers.touch(d);
    if (await this.blobPresent(d)) return;
    this.storage.blobs.forget(d);
    await this.storage.blobs.unlink(repo, d).catch(() => undefined);
    throw new RegistryError(Code.BLOB_UPLOAD_INVALID, { digest: d.value, reason: 'the blob was garbage-collected while it was linked; upload it again' });
  }

  /** The blob is at its path, waiting while the sweeper holds it in quarantine. */
  private async blobPresent(d: Digest): Promise<boolean> {
    const deadline = Date.now() + QUARANTINE_WAIT_MS;
    for (;;) {
      if (await this.exists(paths.blob(d))) return true;
      if (!(await this.exists(paths.gcQuarantine(d))) || Date.now() > deadline) return this.exists(paths.blob(d));
      await sleep(POLL_MS);
    }
  }

  /** The object exists, or appears within `waitMs` (a link the sweeper is about to restore). */
  private async present(path: string, waitMs: number): Promise<boolean> {
    const deadline = Date.now() + waitMs;
    for (;;) {
      if (await this.exists(path)) return true;
      if (Date.now() > deadline) return false;
      await sleep(POLL_MS);
    }
  }

  private async exists(path: string): Promise<boolean> {
    try {
      await this.storage.driver.stat(path);
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  async close(): Promise<void> {
    await this.gc?.stop();
    await this.events.close();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
