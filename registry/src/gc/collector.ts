// Online garbage collection: mark and sweep while pushes and pulls continue, with no
// read-only window.
//
// The protocol (also in docs/lifecycle.md):
//
//   cutoff = run start − grace period
//
//   Writers (write/gc-protocol.ts, called by the write path): before a
//   reference to possibly-existing content commits, touch the digest's marker
//   `_gc/touched/<alg>/<hex>` (W1), then check the content exists, uncached (W2), then
//   commit (W3). A manifest PUT touches its own digest, its config, layers and child
//   manifests; an upload completing onto an existing blob and a mount touch the blob.
//   Concurrent touches of one digest share a write that starts after each was asked
//   (storage/gc-markers.ts), which is all W1 needs.
//
//   Sweeper, for each unmarked candidate (a blob, a layer link, a manifest link):
//     S0  skip unless the object is older than the cutoff
//     S1  read the marker; skip when it was touched at or after the cutoff
//     S2  move the object aside (blob → `_gc/quarantine/…`; link → kept in memory)
//     S3  read the marker again; when it differs from S1, put the object back
//     S4  otherwise delete it for good
//
//   Why a concurrent push can never end up with a broken manifest: W1 < W2 < W3 and
//   S1 < S2 < S3. If W1 happened before S3, the sweeper sees a different marker at S3
//   and restores the object. If W1 happened after S3, then W2 > S2: the object is
//   already gone from its path when the writer checks, so the push is refused
//   (MANIFEST_BLOB_UNKNOWN; the client uploads again) instead of committing a
//   reference to content that is about to disappear. Content created or referenced
//   after the run started is younger than the cutoff or carries a fresh marker, so
//   the mark phase need not see it. A writer that finds a blob in quarantine waits
//   briefly for the sweeper's decision (write/gc-protocol.ts), so a restore is not reported
//   to the client as a failure. While a blob sits in quarantine (S2..S3, a few
//   storage round trips) a pull of that unreferenced blob may see 404.
//
//   A link written after a run listed links is invisible to that run, and a blob's age
//   is when its data was written, not when it was linked. So after an upload or mount
//   links a blob, the writer touches again (W5) and re-checks the blob (W4): a run
//   that started before the link existed has a cutoff older than W5, so a touch
//   before its S1 protects the blob, one between S1 and S3 restores it, and one
//   after S3 is followed by a check that finds it gone; the link is then removed and
//   the upload refused (400 BLOB_UPLOAD_INVALID, the client uploads again). No link
//   ever points at nothing, so HEAD (which trusts a cached size when the link exists)
//   stays truthful on every replica.
//
//   A write commits to storage before the index hears of it, and a push may stall
//   between its touch and its index write for longer than the grace period (a loaded
//   machine, a slow database): its touch is then older than the cutoff and the mark
//   may read the index before the write reaches it. So every write opens its index
//   journal entry (write/index-writer.ts) before it touches, and the mark waits, per
//   repository, for the entries opened before the cutoff to close: such a write's
//   touch came after its entry opened, so either the touch is recent enough to
//   protect it or the entry is older than the cutoff and the mark reads the index
//   only once the write is in it. An entry that stays open past the wait
//   (a write that died, which repair had not settled) aborts the run.
//
//   Writers touch only while a run is announced. Most of the time no run is, and a
//   manifest write (or tag restore) that touches nothing writes 1 to 4 fewer objects.
//   A real run first announces itself in the index (a `gc_runs` row, A) and keeps
//   the row until its sweep has ended. A writer opens its journal entry (J), then
//   asks whether a run is announced (R); it touches when one is, or when the index
//   cannot tell. If R did not see A, then J committed before A did, so J is open or
//   closed when the run, right after A, lists the open entries of such writes; the
//   run waits for each to close (or aborts after the wait) before it lists or marks
//   anything. Such a write is then in the index, so the mark finds its content live,
//   and no sweep that it did not see can be under way: a run's row outlives its
//   sweep. No clock is compared: only the order of commits in the index. A run
//   whose process died leaves its row; writers then keep touching (safe, slower)
//   until a later run clears rows that stopped beating for SILENT_RUN_MS, and a
//   run that finds its own row gone stops before condemning anything else.
//   Each row insert also counts up `gc_announcements` (a trigger, same
//   transaction), and a writer reads the count with R: content it found present
//   after an R that saw no run is present still at a later R with the same count
//   and no run (only a sweep removes content, and its run's row spans the sweep),
//   so W2 asks storage only when the count moved or a run is announced. A push
//   whose R saw no run leaves the manifest's own link as it is when the index, read
//   after R, has it (write/gc-protocol.ts): the index's "yes" holds in storage, and a
//   later run waits for J, then finds the manifest tagged.
//
//   Markers are only deleted together with their content, and only by the run that
//   really deleted it (another run's recovery may have put it back): deleting the
//   marker of live content could erase a touch that a later run depends on.
//
//   Mark, for every repository the index lists and every one with a write older than
//   the cutoff still open: every tag → manifest; index children, recursively; manifests whose subject
//   is live (referrers of a deleted subject are garbage); untagged manifests unless
//   `gc.deleteUntagged`; manifests pushed or touched after the cutoff. Every live
//   manifest marks its own digest, its config and its layers, and every layer link
//   that survives the sweep marks its blob. The mark reads the metadata index
//   (metadata/gc-mark.ts), never a manifest body; the index never claims what
//   storage lacks, and before a run writes that died between storage and index are
//   repaired (scrub/repair.ts), so it is missing nothing older than the cutoff.
//
// Only one replica collects at a time (lock.ts), but the protocol never relies on it:
// two runs only race on idempotent deletes and restores.
import type { Logger } from '../log.js';
import type { MetadataIndex } from '../metadata/index.js';
import type { Metrics } from '../metrics/metrics.js';
import { parseDigest, type Digest } from '../reference.js';
import type { GcStorage } from '../storage/gc-storage.js';
import { sameMarker, type Marker } from '../storage/gc-markers.js';
import { StorageUnavailableError, type RegistryStorage } from '../storage/registry-storage.js';
import { markRepository } from '../metadata/gc-mark.js';
import { forEachLimit } from '#contract/util/limit.js';

/** Blobs, and a repository's layer links, swept at once: each is a few sequential storage round trips. */
const SWEEP_CONCURRENCY = 8;
/** How long the mark waits, by default, for a repository's writes older than the cutoff to reach the index. */
const INTENT_WAIT_MS = 10_000;
const INTENT_POLL_MS = 20;
/** How often a real run records that it is alive. */
const HEARTBEAT_MS = 5_000;
/** A run announcement not refreshed for this long belongs to a dead process. */
const SILENT_RUN_MS = 10 * 60_000;
/** Repository names read per catalog page (the index's largest page). */
const NAMES_PAGE = 10_000;

export interface CollectOptions {
  readonly gracePeriodMs: number;
  readonly dryRun: boolean;
  readonly deleteUntagged: boolean;
  /** Called between steps; returning false aborts the run (the lease was lost). */
  readonly stillOwner?: () => Promise<boolean>;
  /** How long to wait for writes older than the cutoff to reach the index before aborting. */
  readonly intentWaitMs?: number;
}

export interface DeletedManifest {
  readonly repository: string;
  readonly digest: string;
  readonly reason: 'untagged' | 'subject-deleted';
}

/**
 * What a (real) run tells the write path, so the metadata index and quotas follow:
 * a link is forgotten by the index before the sweeper takes it (the index never
 * claims what storage lacks), remembered again when it is put back, and the
 * listeners hear of what went. A repository's sweep is one unit the write path
 * can journal.
 */
export interface CollectionListener {
  /** Journal operations of writes that skip their GC markers while no run is announced. */
  readonly unmarkedOperations: readonly string[];
  sweepStarting(repo: string): Promise<unknown>;
  sweepFinished(token: unknown): Promise<void>;
  manifestCollecting(repo: string, digest: Digest): Promise<void>;
  manifestRestored(repo: string, digest: Digest): Promise<void>;
  manifestCollected(repo: string, digest: Digest): Promise<void>;
  layerLinkCollecting(repo: string, digest: Digest): Promise<void>;
  layerLinkRestored(repo: string, digest: Digest): Promise<void>;
  layerLinkCollected(repo: string, digest: Digest): Promise<void>;
  blobCollected(digest: Digest, size: number): Promise<void>;
}

export interface GcReport {
  dryRun: boolean;
  startedAt: string;
  durationSeconds: number;
  repositories: number;
  manifestsMarked: number;
  blobsMarked: number;
  manifestsDeleted: DeletedManifest[];
  layerLinksDeleted: number;
  blobsDeleted: number;
  bytesFreed: number;
  /** Objects put back because a push touched them during the sweep. */
  restored: number;
  /** Quarantined blobs left by an interrupted run and put back at the start. */
  recovered: number;
  /** Blobs left for the next run because storage failed while one was swept (a transient S3 error). */
  skipped: number;
  aborted: boolean;
}

class Aborted extends Error {}

/** Polls until `stillOpen` is false; past `deadline`, aborts the run with `reason`. */
async function closedBy(deadline: number, stillOpen: () => Promise<boolean>, reason: string): Promise<void> {
  while (await stillOpen()) {
    if (Date.now() > deadline) throw new Aborted(reason);
    await new Promise((resolve) => setTimeout(resolve, INTENT_POLL_MS));
  }
}

/** A real run's row in the index, while it runs (see "Writers touch only while a run is announced"). */
interface Announcement {
  readonly id: number;
  lost: boolean;
  heartbeat?: NodeJS.Timeout;
}

/** What the sweep of one run decides by. */
interface Sweep {
  readonly cutoff: number;
  /** Absent for a dry run, which deletes nothing and so announces nothing. */
  readonly announcement?: Announcement;
}

interface RepositoryMark {
  readonly repo: string;
  readonly garbage: Array<{ digest: Digest; reason: DeletedManifest['reason'] }>;
  /** Layer links no live manifest references, with when each was linked: the sweep decides by age. */
  readonly unreferencedLinks: Array<{ digest: Digest; linkedAt: number }>;
}

export class GarbageCollector {
  private readonly gc: GcStorage;

  constructor(
    private readonly storage: RegistryStorage,
    private readonly index: MetadataIndex,
    private readonly log: Logger,
    private readonly metrics: Metrics,
    private readonly listener: CollectionListener,
  ) {
    this.gc = storage.gc;
  }

  async collect(options: CollectOptions): Promise<GcReport> {
    const started = Date.now();
    const cutoff = started - options.gracePeriodMs;
    const report: GcReport = {
      dryRun: options.dryRun, startedAt: new Date(started).toISOString(), durationSeconds: 0, repositories: 0,
      manifestsMarked: 0, blobsMarked: 0, manifestsDeleted: [], layerLinksDeleted: 0, blobsDeleted: 0, bytesFreed: 0,
      restored: 0, recovered: 0, skipped: 0, aborted: false,
    };
    const announcement = options.dryRun ? undefined : await this.announce();
    const run: Sweep = { cutoff, announcement };
    const checkpoint = async () => {
      if (options.stillOwner && !(await options.stillOwner())) throw new Aborted('lost the GC lease');
      if (announcement?.lost) throw new Aborted('the run\'s announcement was cleared');
    };
    try {
      if (announcement) await this.awaitUnmarkedWrites(options.intentWaitMs ?? INTENT_WAIT_MS);
      if (!options.dryRun) report.recovered = await this.gc.recoverQuarantine();
      // Read before the list: a write older than the cutoff that closes in between is then in it.
      const inFlight = new Set((await this.index.staleIntents(cutoff, 1_000_000)).map((i) => i.repo));
      const repos = await this.repositoryNames(inFlight);
      report.repositories = repos.length;
      const marked = new Set<string>();
      const marks: RepositoryMark[] = [];
      for (const repo of repos) {
        if (inFlight.has(repo)) await this.awaitWritesBefore(repo, cutoff, options.intentWaitMs ?? INTENT_WAIT_MS);
        marks.push(await this.markRepository(repo, cutoff, options.deleteUntagged, marked, report));
        await checkpoint();
      }
      for (const m of marks) {
        const sweep = options.dryRun ? undefined : await this.listener.sweepStarting(m.repo);
        await this.sweepManifests(m, run, options.dryRun, report);
        await this.sweepLayerLinks(m, run, options.dryRun, marked, report);
        if (!options.dryRun) await this.listener.sweepFinished(sweep);
        await checkpoint();
      }
      report.blobsMarked = marked.size;
      await this.sweepBlobs(marked, run, options.dryRun, report, checkpoint);
    } catch (err) {
      if (!(err instanceof Aborted)) throw err;
      report.aborted = true;
      this.log.warn({ msg: 'garbage collection aborted', reason: err.message });
    } finally {
      if (announcement) await this.withdraw(announcement);
    }
    report.durationSeconds = (Date.now() - started) / 1000;
    return report;
  }

  /** Announces a real run to writers and keeps the announcement alive until `withdraw`. */
  private async announce(): Promise<Announcement> {
    const cleared = await this.index.clearSilentGcRuns(Date.now() - SILENT_RUN_MS);
    if (cleared) this.log.warn({ msg: 'cleared the announcements of collection runs that stopped', count: cleared });
    const id = await this.index.announceGcRun();
    const announcement: Announcement = { id, lost: false };
    const beat = () => this.index.heartbeatGcRun(id).then((alive) => { if (!alive) announcement.lost = true; }, () => undefined);
    announcement.heartbeat = setInterval(() => void beat(), HEARTBEAT_MS).unref();
    return announcement;
  }

  private async withdraw(announcement: Announcement): Promise<void> {
    clearInterval(announcement.heartbeat);
    // Left behind when the index is down: writers keep touching until a later run clears it.
    await this.index.endGcRun(announcement.id).catch((err) => this.log.warn({ msg: 'collection run announcement left', err: (err as Error).message }));
  }

  /**
   * Waits for the writes that may have skipped their markers: those of the
   * listener's operations whose journal entry is open right after the announcement.
   * Entries opened later see the announcement and touch.
   */
  private async awaitUnmarkedWrites(waitMs: number): Promise<void> {
    const deadline = Date.now() + waitMs;
    for (const entry of await this.index.openIntentsOf(this.listener.unmarkedOperations)) {
      await closedBy(deadline, () => this.index.intentOpen(entry.id), `a write on ${entry.repo} that saw no collection run has not reached the index`);
    }
  }

  /**
   * Every repository the index knows, and those with a write still on its way to it.
   * The mark reads each repository's graph from the index anyway, so listing storage
   * (one listing per repository on S3) would add no repository the mark could use.
   */
  private async repositoryNames(inFlight: ReadonlySet<string>): Promise<string[]> {
    const names = new Set(inFlight);
    let last: string | undefined;
    do {
      const page = await this.index.catalog({ n: NAMES_PAGE, last });
      for (const name of page.items) names.add(name);
      last = page.next;
    } while (last !== undefined);
    return [...names].sort();
  }

  /** Waits until the writes on `repo` whose journal entry opened before `cutoff` are in the index. */
  private async awaitWritesBefore(repo: string, cutoff: number, waitMs: number): Promise<void> {
    await closedBy(Date.now() + waitMs, async () => (await this.index.openIntentsFor(repo, cutoff)) > 0,
      `a write on ${repo} older than the grace period has not reached the index`);
  }

  private async markRepository(repo: string, cutoff: number, deleteUntagged: boolean, marked: Set<string>, report: GcReport): Promise<RepositoryMark> {
    const graph = await this.index.repositoryGraph(repo);
    const mark = await markRepository(graph, { cutoff, deleteUntagged, recent: (d) => this.touchedDigest(d, cutoff) });
    for (const value of mark.live) marked.add(value);
    for (const value of mark.referencedBlobs) marked.add(value);
    report.manifestsMarked += [...mark.live].filter((v) => graph.manifests.has(v)).length;
    const garbage: RepositoryMark['garbage'] = [];
    for (const g of mark.garbage) {
      const digest = parseDigest(g.digest);
      if (digest) garbage.push({ digest, reason: g.reason });
    }
    const unreferencedLinks = mark.unreferencedLinks.flatMap((l) => {
      const digest = parseDigest(l.digest);
      return digest ? [{ digest, linkedAt: l.linkedAt }] : [];
    });
    return { repo, garbage, unreferencedLinks };
  }

  private async touchedDigest(value: string, cutoff: number): Promise<boolean> {
    const d = parseDigest(value);
    return d !== undefined && this.touchedSince(d, cutoff);
  }

  private async touchedSince(d: Digest, cutoff: number): Promise<boolean> {
    const marker = await this.gc.markers.read(d);
    return marker !== undefined && marker.at >= cutoff;
  }

  /**
   * S1: the marker seen before condemning, or null when a recent touch protects the
   * object. A real run whose announcement is gone (cleared as silent) stops here:
   * writers no longer see it and may have stopped touching.
   */
  private async condemnable(d: Digest, run: Sweep): Promise<Marker | undefined | null> {
    if (run.announcement && !(await this.index.gcRunAnnounced(run.announcement.id))) {
      throw new Aborted('the run\'s announcement was cleared');
    }
    const marker = await this.gc.markers.read(d);
    return marker !== undefined && marker.at >= run.cutoff ? null : marker;
  }

  private async sweepManifests(m: RepositoryMark, run: Sweep, dryRun: boolean, report: GcReport): Promise<void> {
    for (const { digest, reason } of m.garbage) {
      const before = await this.condemnable(digest, run);
      if (before === null) continue;
      if (dryRun) {
        report.manifestsDeleted.push({ repository: m.repo, digest: digest.value, reason });
        continue;
      }
      await this.listener.manifestCollecting(m.repo, digest);
      const link = await this.gc.takeManifestLink(m.repo, digest);
      if (link === undefined) continue;
      if (!sameMarker(before, await this.gc.markers.read(digest))) {
        await this.gc.restoreLink(link);
        await this.listener.manifestRestored(m.repo, digest);
        report.restored++;
        continue;
      }
      report.manifestsDeleted.push({ repository: m.repo, digest: digest.value, reason });
      this.metrics.gcFreedObjects.inc({ kind: 'manifest' });
      await this.listener.manifestCollected(m.repo, digest);
    }
  }

  /**
   * A repository's unreferenced layer links, up to SWEEP_CONCURRENCY at once: each link
   * goes through S0-S4 on its own (its own marker reads, take and restore), so their
   * order does not matter; one after the other, a run spent most of its time waiting
   * on these round trips when deletes left thousands of links.
   */
  private async sweepLayerLinks(m: RepositoryMark, run: Sweep, dryRun: boolean, marked: Set<string>, report: GcReport): Promise<void> {
    await forEachLimit(m.unreferencedLinks, SWEEP_CONCURRENCY, async ({ digest: d, linkedAt }) => {
      const keep = () => { marked.add(d.value); };
      const before = linkedAt < run.cutoff ? await this.condemnable(d, run) : null;
      if (before === null) {
        keep();
        return;
      }
      if (dryRun) {
        report.layerLinksDeleted++;
        return;
      }
      await this.listener.layerLinkCollecting(m.repo, d);
      const link = await this.gc.takeLayerLink(m.repo, d);
      if (link === undefined) return;
      if (!sameMarker(before, await this.gc.markers.read(d))) {
        await this.gc.restoreLink(link);
        await this.listener.layerLinkRestored(m.repo, d);
        report.restored++;
        keep();
        return;
      }
      report.layerLinksDeleted++;
      this.metrics.gcFreedObjects.inc({ kind: 'layer_link' });
      await this.listener.layerLinkCollected(m.repo, d);
    });
  }

  private async sweepBlobs(marked: Set<string>, run: Sweep, dryRun: boolean, report: GcReport, checkpoint: () => Promise<void>): Promise<void> {
    let seen = 0;
    await forEachLimit(await this.gc.allBlobs(), SWEEP_CONCURRENCY, async (d) => {
      if (++seen % 500 === 0) await checkpoint();
      if (marked.has(d.value)) return;
      try {
        await this.sweepBlob(d, run, dryRun, report);
      } catch (err) {
        // One failed storage call leaves that blob for the next run instead of failing
        // the run: skipping never deletes, and a blob left in quarantine is put back by
        // the next run's recovery (a writer waits for it meanwhile).
        if (!(err instanceof StorageUnavailableError)) throw err;
        report.skipped++;
        this.log.warn({ msg: 'blob left for the next collection: storage failed', digest: d.value, err: err.message });
      }
    });
  }

  private async sweepBlob(d: Digest, run: Sweep, dryRun: boolean, report: GcReport): Promise<void> {
    const info = await this.gc.blobInfo(d);
    if (!info || info.writtenAt >= run.cutoff) return;
    const before = await this.condemnable(d, run);
    if (before === null) return;
    if (dryRun) {
      report.blobsDeleted++;
      report.bytesFreed += info.size;
      return;
    }
    if (!(await this.gc.quarantine(d))) return; // another run took it
    if (!sameMarker(before, await this.gc.markers.read(d))) {
      await this.gc.unquarantine(d);
      report.restored++;
      return;
    }
    // Another run's recovery may have put the blob back meanwhile: then it is not
    // gone, and its marker must stay (a touch after our S3 may depend on it).
    if (!(await this.gc.deleteQuarantined(d))) return;
    await this.gc.markers.remove(d);
    report.blobsDeleted++;
    report.bytesFreed += info.size;
    this.metrics.gcFreedObjects.inc({ kind: 'blob' });
    this.metrics.gcFreedBytes.inc(info.size);
    await this.listener.blobCollected(d, info.size);
  }
}
