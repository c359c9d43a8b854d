// The writer's half of the online GC protocol (the sweeper's half and the proof
// are in gc/collector.ts): touch the marker of content about to be referenced,
// then check, uncached, that the content is still there; after linking a blob,
// touch again and check again, so no link ever points at nothing. Manifest writes
// and tag restores touch only while a collection run is announced: a run waits
// for those that saw none before it marks (their journal entry opened first).
// A manifest write's check trusts what this process found present since the last
// announcement while none is announced (`presentSince`); a blob link's never does.
// With none announced, a push of a manifest the index has in the repository leaves
// its link as it is (`beforeManifestPut`): a tag PUT of a known image writes its tag.
import { Code, RegistryError } from '../errors.js';
import type { ParsedManifest } from '../manifest/parse.js';
import type { Digest } from '../reference.js';
import { LruCache } from '../storage/lru-cache.js';
import type { RegistryStorage } from '../storage/registry-storage.js';

/** How long a push waits for a quarantined blob to be put back before refusing. */
const QUARANTINE_WAIT_MS = 5000;
/** How long a push waits for a link the sweeper took and may restore. */
const LINK_WAIT_MS = 500;
const POLL_MS = 10;

/**
 * The metadata index's word on links. Its "yes" holds in storage: a delete or a
 * sweep removes the index row before the storage link, so a link the index still
 * has was there when the writer touched (the sweeper, coming after, sees the touch
 * and puts it back). Its "no" may be a write not indexed yet, so storage is asked.
 */
export interface IndexedLinks {
  hasBlobLink(repo: string, d: Digest): Promise<boolean>;
  /** The media type the index has for the manifest in the repository; undefined when it has none. */
  manifestMediaType(repo: string, d: Digest): Promise<string | undefined>;
}

/**
 * What the index says of collection runs, read in one statement: whether one is
 * announced now, and how many were ever announced (counted in the transaction that
 * announces each). When the index cannot tell, `running` is true and `announced`
 * undefined: then touch and ask storage, as during a run.
 */
export interface RunState {
  readonly running: boolean;
  readonly announced?: number;
}

export interface RunAnnouncements {
  gcRuns(): Promise<RunState>;
}

/** Content digests this process found present, with the announcement count read before it looked. */
const SEEN_PRESENT = 16_384;

/**
 * The journal operations whose writes skip their markers while no run is
 * announced. Each opens its journal entry before it asks, and the collector waits
 * for those open when it announces itself (gc/collector.ts).
 */
export const UNMARKED_OPERATIONS: readonly string[] = ['manifest-put', 'tag-restore'];

export class GcWriterProtocol {
  /**
   * Content found present while no run was announced, by the announcement count read
   * before the look. Only a run's sweep removes content, and a run's row exists from
   * before its sweep to after it, counted up when inserted: a later write that reads
   * the same count and no run knows no sweep began since the look, so the content is
   * still there, and any run announced after its read waits for its journal entry.
   */
  private readonly seenPresent = new LruCache<number>(SEEN_PRESENT);

  constructor(private readonly storage: RegistryStorage, private readonly indexed: IndexedLinks, private readonly runs: RunAnnouncements) {}

  /**
   * Before a manifest commits (W1, W2): touch the manifest and everything it
   * references (while a run is announced), then check each reference is present,
   * asking storage rather than a size cache (`presentSince`: or what this process
   * found present with no run announced since), and linked in the repository (the index's
   * "yes", else storage). MANIFEST_BLOB_UNKNOWN lists what is missing. The
   * caller's journal entry (an UNMARKED_OPERATIONS one) is open already.
   *
   * Returns whether the manifest's own link stands, so the commit need not write it
   * again: no run was announced when asked, and the index, read after that, has the
   * manifest in the repository with the same media type. Its "yes" holds in storage,
   * no sweep that run state missed can be under way, and a run announced later waits
   * for this write's journal entry, then finds the manifest tagged. A delete of the
   * manifest racing its push can still take the link after the check, as it can take
   * a referenced layer's link; rewriting the link narrowed that window, never closed it.
   */
  async beforeManifestPut(repo: string, digest: Digest, parsed: ParsedManifest): Promise<boolean> {
    const runs = await this.runs.gcRuns();
    if (runs.running) await this.storage.gc.markers.touchAll([digest, ...parsed.blobs, ...parsed.manifests]);
    const missing: string[] = [];
    const { blobs, manifests } = this.storage;
    await Promise.all([
      ...parsed.blobs.map(async (d) => {
        if (!(await this.presentSince(d, runs))) missing.push(d.value);
        else if (!(await this.indexed.hasBlobLink(repo, d)) && !(await within(LINK_WAIT_MS, () => blobs.isLinked(repo, d)))) missing.push(d.value);
      }),
      ...parsed.manifests.map(async (d) => {
        if (!(await this.presentSince(d, runs))) missing.push(d.value);
        else if ((await this.indexed.manifestMediaType(repo, d)) === undefined && !(await within(LINK_WAIT_MS, () => manifests.isLinked(repo, d)))) {
          missing.push(d.value);
        }
      }),
    ]);
    if (missing.length) throw new RegistryError(Code.MANIFEST_BLOB_UNKNOWN, { missing: missing.sort() });
    // The body may have been collected since the store cached its size: make the store
    // write it again. Without a cached size the store asks storage itself (a new
    // manifest: one stat, not the three of a check that finds nothing).
    if (blobs.sizeCached(digest) && !(await this.presentSince(digest, runs))) blobs.forget(digest);
    return !runs.running && runs.announced !== undefined && (await this.indexed.manifestMediaType(repo, digest)) === parsed.mediaType;
  }

  /**
   * W2 for a write that read `runs` after its journal entry opened: present when this
   * process found it present after reading the same announcement count with no run
   * announced (see `seenPresent`), else asked of storage (`blobPresent`).
   */
  private async presentSince(d: Digest, runs: RunState): Promise<boolean> {
    const announced = runs.running ? undefined : runs.announced;
    if (announced !== undefined && this.seenPresent.get(d.value) === announced) return true;
    const present = await this.blobPresent(d);
    if (!present) this.seenPresent.delete(d.value);
    else if (announced !== undefined) this.seenPresent.set(d.value, announced);
    return present;
  }

  /**
   * Before a cache fill commits a manifest whose references may be absent (an
   * index's other platforms, layers fetched on demand later): the touch and check
   * of W1, W2 for its own digest and for the references already in storage, which a
   * sweep could otherwise take while the manifest commits. An absent reference is
   * filled later through `beforeBlobLink`/`afterBlobLink` like any upload.
   */
  async beforePartialManifestPut(digest: Digest, parsed: ParsedManifest): Promise<void> {
    const refs = [...parsed.blobs, ...parsed.manifests];
    const present = await Promise.all(refs.map(async (d) => ((await this.storage.blobs.exists(d)) ? d : undefined)));
    await this.storage.gc.markers.touchAll([digest, ...present.filter((d): d is Digest => d !== undefined)]);
    if (this.storage.blobs.sizeCached(digest) && !(await this.blobPresent(digest))) this.storage.blobs.forget(digest);
  }

  /**
   * Before a tag is pointed back at a manifest it named before (a rollback): the
   * manifest may be untagged now, so a sweep could be taking it. Touch it (while a
   * run is announced), then check, uncached, that its body is there and it is
   * linked in the repository. The caller's journal entry is open already.
   */
  async beforeTagRestore(repo: string, digest: Digest): Promise<void> {
    if ((await this.runs.gcRuns()).running) await this.storage.gc.markers.touch(digest);
    const present = (await this.blobPresent(digest)) && (await within(LINK_WAIT_MS, () => this.storage.manifests.isLinked(repo, digest)));
    if (!present) throw new RegistryError(Code.MANIFEST_UNKNOWN, { digest: digest.value, reason: 'the manifest is no longer in the repository' });
  }

  /**
   * Before an upload completes onto a blob that may exist, or a mount links one: the
   * writer's touch. A blob that is absent needs none (the upload moves fresh content
   * into place, younger than any cutoff; a quarantined copy being deleted is a
   * different path), which spares the common case a write.
   */
  async beforeBlobLink(d: Digest): Promise<void> {
    this.storage.blobs.forget(d); // decide "exists?" from storage, never from a cache
    if (!(await this.storage.blobs.exists(d))) return;
    await this.storage.gc.markers.touch(d);
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
    await this.storage.gc.markers.touch(d);
    if (await this.blobPresent(d)) return;
    this.storage.blobs.forget(d);
    await this.storage.blobs.unlink(repo, d).catch(() => undefined);
    throw new RegistryError(Code.BLOB_UPLOAD_INVALID, { digest: d.value, reason: 'the blob was garbage-collected while it was linked; upload it again' });
  }

  /** The blob is at its path, waiting while the sweeper holds it in quarantine. */
  private async blobPresent(d: Digest): Promise<boolean> {
    const { blobs, gc } = this.storage;
    const deadline = Date.now() + QUARANTINE_WAIT_MS;
    for (;;) {
      if (await blobs.exists(d)) return true;
      if (!(await gc.isQuarantined(d)) || Date.now() > deadline) return blobs.exists(d);
      await sleep(POLL_MS);
    }
  }
}

/** True when `check` holds now or within `waitMs` (a link the sweeper is about to restore). */
async function within(waitMs: number, check: () => Promise<boolean>): Promise<boolean> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await sleep(POLL_MS);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
