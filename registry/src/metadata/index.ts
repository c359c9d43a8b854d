// The metadata index: repositories, manifests and their references, blobs, layer
// links, tags and their history, pull times and the audit log, in SQLite (one node)
// or PostgreSQL (every replica), behind one API. Storage stays the source of
// truth; the write path calls the write methods after each storage commit, each
// one transaction, and scrub can rebuild everything. docs/metadata.md.
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { resolve } from 'node:path';
import type { IndexOptions } from './config.js';
import { DEFAULTS } from './config.js';
import { openEngine, type Engine, type EngineKind } from './engine/engine.js';
import { isUnavailable, MetadataUnavailableError } from './errors.js';
import { markRepository, type MarkOptions, type RepositoryMark } from './gc-mark.js';
import { localInvalidationsFor, type Invalidation, type InvalidationChannel, type Invalidations } from './invalidations/channel.js';
import { analyze, migrate, type MigrationReport } from './migrations/runner.js';
import { auditPage } from './reads/audit.js';
import { blobSize, getManifest, linkedBlob, manifestMediaType, referrers, tagsOf } from './reads/content.js';
import { allBlobs, repositoryGraph, repositoryNames, type RepositoryGraph } from './reads/graph.js';
import { lastPulls } from './reads/pulls.js';
import {
  blobSizes, existingTags, holders, layerOverlap, manifestRefs, manifestsIn, referencing, referrerCounts, tagHadDigest, unreferencedOutside,
} from './reads/relations.js';
import { catalogPage, getRepository, listRepositories } from './reads/repositories.js';
import { scanResults, signatureVerdicts } from './reads/supply-chain.js';
import { imageSizes, type ImageSize } from './reads/image-sizes.js';
import { allTags, resolveTag, tagHistory, tagNames, tagPage } from './reads/tags.js';
import { scopeContent, scopeUsage } from './reads/usage.js';
import { heldUnder, type HeldDigest } from './reads/held-content.js';
import { announcedVulnerabilities, getInventory, indexesListing, getScanResult, getSignatureVerdict, inventorySlice, placesOf, scanCounts, type ScanCounts } from './reads/security.js';
import type {
  AuditEntry, AuditQuery, AuditRecord, CatalogQuery, InventoryKind, InventoryRecord, KnownVulnerability, LinkedBlob, ManifestInfo, ManifestKey,
  ManifestRecord, Page, PullRecord, ReferencedBlob, ReferrerCount, ReferrerDescriptor, RepositoryListQuery, RepositoryStatus, ScanResult,
  ScanResultRecord, SignatureVerdict, SignatureVerdictRecord, TagHistoryEntry, TagInfo, Usage, WriteContext,
} from './types.js';
import { appendAudit, pruneAudit, type AuditPruning } from './writes/audit.js';
import { closeIntent, intentOpen, openIntent, openIntentsFor, openIntentsOf, staleIntents, type WriteIntent } from './writes/intents.js';
import { announceRun, clearSilentRuns, endRun, heartbeatRun, runAnnounced, runState, type GcRunState } from './writes/gc-runs.js';
import { forgetBlobs, linkBlob, unlinkBlob } from './writes/blobs.js';
import { deleteManifest, recordManifest, type ManifestDeletion } from './writes/manifests.js';
import { PullBuffer, writePulls } from './writes/pulls.js';
import { countRepository, recountRepository, type Counters } from './writes/recount.js';
import { deleteRepository } from './writes/repositories.js';
import { RepositoryChanges } from './writes/repository-row.js';
import { forgetSecurity, pruneScanResults, putInventory, putScanResult, putSignatureVerdict, recordSightings, setInventorySbom, type Sighting } from './writes/security.js';
import type { WriteScope } from './writes/scope.js';
import { deleteTag, setTag } from './writes/tags.js';

export type { Invalidation, Invalidations } from './invalidations/channel.js';
export type { ManifestDeletion } from './writes/manifests.js';
export type { AuditPruning } from './writes/audit.js';
export type { Counters } from './writes/recount.js';
export type { RepositoryMark, MarkOptions } from './gc-mark.js';
export type { RepositoryGraph } from './reads/graph.js';
export type { HeldDigest } from './reads/held-content.js';
export * from './types.js';
export { MetadataCursorError, MetadataSchemaError, MetadataUnavailableError } from './errors.js';
export type { WriteIntent } from './writes/intents.js';
export type { GcRunState } from './writes/gc-runs.js';
export type { Sighting } from './writes/security.js';
export type { ScanCounts } from './reads/security.js';
export type { ImageSize, PlatformSize } from './reads/image-sizes.js';

/** Transient PostgreSQL conflicts worth one more try (serialization failure, deadlock). */
const RETRYABLE = new Set(['40001', '40P01']);
const WRITE_ATTEMPTS = 3;

export class MetadataIndex {
  private readonly pulls: PullBuffer;
  private closing: Promise<void> | undefined;
  /** Set once buffered pulls are written: calls after that fail as unavailable. */
  private closed = false;

  private constructor(
    private readonly engine: Engine,
    private readonly channel: InvalidationChannel,
    /** What the schema migration did at open. */
    readonly migration: MigrationReport,
    options: IndexOptions,
    onBackgroundError: (err: unknown) => void,
  ) {
    this.pulls = new PullBuffer((records) => this.recordPulls(records),
      options.pullFlushIntervalMs ?? DEFAULTS.pullFlushIntervalMs, options.pullBufferLimit ?? DEFAULTS.pullBufferLimit, onBackgroundError);
    this.pulls.start();
  }

  /**
   * Opens the engine, brings the schema up to date (under a lock shared by every
   * replica) and, on PostgreSQL, starts listening for other replicas' changes.
   */
  static async open(options: IndexOptions, onBackgroundError: (err: unknown) => void = () => undefined): Promise<MetadataIndex> {
    const kind = options.engine.engine;
    const engine = await guarded(kind, () => openEngine(options.engine));
    try {
      const migration = await guarded(kind, () => migrate(engine));
      let channel: InvalidationChannel;
      if (options.engine.engine === 'postgres') {
        const { PostgresInvalidations } = await import('./invalidations/postgres-channel.js');
        const { clientConfig } = await import('./engine/postgres.js');
        const pg = new PostgresInvalidations(clientConfig(options.engine), options.heartbeatIntervalMs ?? DEFAULTS.heartbeatIntervalMs);
        await guarded(kind, () => pg.start());
        channel = pg;
      } else {
        const path = options.engine.path;
        channel = localInvalidationsFor(path === ':memory:' ? undefined : resolve(path));
      }
      return new MetadataIndex(engine, channel, migration, options, onBackgroundError);
    } catch (err) {
      await engine.close().catch(() => undefined);
      throw err;
    }
  }

  get kind(): EngineKind {
    return this.engine.kind;
  }

  /** Changes to mutable facts (tags, links), this replica's and the others'. */
  get invalidations(): Invalidations {
    return this.channel;
  }

  // ---- writes: each is one transaction, called after the storage commit ----

  /** A pushed manifest with its references, and the tags pushed with it. */
  async recordManifest(record: ManifestRecord, ctx: WriteContext & { tags?: readonly string[] } = {}): Promise<void> {
    const at = ctx.at ?? Date.now();
    await this.write((w) => recordManifest(w, record, { tags: ctx.tags ?? [], actor: ctx.actor, at, origin: ctx.origin }), ctx.intent);
  }

  /** Points a tag at a manifest; returns the digest it pointed to before. `restore` marks a rollback in the history. */
  async setTag(repo: string, tag: string, digest: string, ctx: WriteContext & { action?: 'push' | 'restore' } = {}): Promise<string | undefined> {
    const at = ctx.at ?? Date.now();
    return this.write((w) => setTag(w, repo, tag, digest, { actor: ctx.actor, at, action: ctx.action ?? 'push', origin: ctx.origin }), ctx.intent);
  }

  /** Returns the digest the tag pointed to, or undefined when there was no such tag. */
  async deleteTag(repo: string, tag: string, ctx: WriteContext = {}): Promise<string | undefined> {
    return this.write((w) => deleteTag(w, repo, tag, ctx.actor, ctx.at ?? Date.now()), ctx.intent);
  }

  /** Deletes a manifest and every tag pointing at it. */
  async deleteManifest(repo: string, digest: string, ctx: WriteContext = {}): Promise<ManifestDeletion> {
    return this.write((w) => deleteManifest(w, repo, digest, ctx.actor, ctx.at ?? Date.now()), ctx.intent);
  }

  /** A blob linked into a repository (upload completed, mount). */
  async linkBlob(repo: string, digest: string, size: number, ctx: WriteContext = {}): Promise<void> {
    await this.write((w) => linkBlob(w, repo, digest, size, ctx.at ?? Date.now(), ctx.origin), ctx.intent);
  }

  /** Returns false when the blob was not linked. */
  async unlinkBlob(repo: string, digest: string, ctx: WriteContext = {}): Promise<boolean> {
    return this.write((w) => unlinkBlob(w, repo, digest), ctx.intent);
  }

  /** Returns false when the repository was unknown. */
  async deleteRepository(repo: string, ctx: WriteContext = {}): Promise<boolean> {
    return this.write((w) => deleteRepository(w, repo, ctx.actor, ctx.at ?? Date.now()), ctx.intent);
  }

  /** Blobs deleted from storage by GC; those still linked somewhere are kept. */
  async forgetBlobs(digests: readonly string[]): Promise<number> {
    return this.write((w) => forgetBlobs(w, digests));
  }

  /** Notes a pull in memory (no I/O); written with the next batch. */
  recordPull(repo: string, digest: string, tag?: string, at = Date.now()): void {
    this.pulls.record(repo, digest, tag, at);
  }

  /** Writes the buffered pull times now. */
  async flushPulls(): Promise<void> {
    await this.pulls.flush();
  }

  /** Writes pull times in one transaction, keeping the newer time per row. */
  async recordPulls(records: readonly PullRecord[]): Promise<void> {
    if (records.length) await this.write((w) => writePulls(w, records));
  }

  async appendAudit(entries: readonly AuditEntry[]): Promise<void> {
    if (entries.length) await this.write((w) => appendAudit(w, entries));
  }

  /** One slice of audit retention (writes/audit.ts): deletes up to `limit` of the oldest records due to go; returns how many went. */
  async pruneAudit(pruning: AuditPruning): Promise<number> {
    return this.write((w) => pruneAudit(w, pruning));
  }

  /** Recomputes a repository's counters from its rows; returns the old ones when they had drifted. */
  async recountRepository(repo: string): Promise<Counters | undefined> {
    return this.write((w) => recountRepository(w, repo));
  }

  // ---- supply chain: derived from content, keyed by digest (docs/supply-chain.md) ----

  async putInventory(record: InventoryRecord): Promise<void> {
    await this.read(() => this.engine.transact((trx) => putInventory(trx, record)));
  }

  async setInventorySbom(digest: string, sbomDigest: string): Promise<void> {
    await this.read(() => this.engine.transact((trx) => setInventorySbom(trx, digest, sbomDigest)));
  }

  async inventory(digest: string): Promise<InventoryRecord | undefined> {
    return this.read(() => getInventory(this.engine.db, digest));
  }

  /** Stored inventories of one kind, a slice at a time (re-matching reads these, never a layer). */
  async *inventories(kind: InventoryKind, slice = 200): AsyncGenerator<InventoryRecord[]> {
    for (let after = ''; ;) {
      const rows = await this.read(() => inventorySlice(this.engine.db, kind, after, slice));
      if (rows.length) yield rows;
      if (rows.length < slice) return;
      after = rows.at(-1)!.digest;
      await yieldToEventLoop();
    }
  }

  /** Stores (or replaces) a result and drops the digest's results against other databases. */
  async putScanResult(record: ScanResultRecord): Promise<void> {
    await this.read(() => this.engine.transact(async (trx) => {
      await putScanResult(trx, record);
      await pruneScanResults(trx, record.digest, record.dbDigest);
    }));
  }

  async scanResult(digest: string, dbDigest: string): Promise<ScanResultRecord | undefined> {
    return this.read(() => getScanResult(this.engine.db, digest, dbDigest));
  }

  async scanCounts(dbDigest: string | undefined): Promise<ScanCounts> {
    return this.read(() => scanCounts(this.engine.db, dbDigest));
  }

  /** Records advisories found in a digest; returns the ids it had never been seen with. */
  async recordSightings(digest: string, sightings: readonly Sighting[], dbDigest: string, announce: boolean, at = Date.now()): Promise<string[]> {
    if (!sightings.length) return [];
    return this.read(() => this.engine.transact((trx) => recordSightings(trx, digest, sightings, dbDigest, announce, at)));
  }

  /** Announced advisories of the repository's tagged manifests after id `after` (the operator's Events). */
  async announcedVulnerabilities(repo: string, after = 0, limit?: number): Promise<Page<KnownVulnerability & { tags: string[] }>> {
    return this.read(() => announcedVulnerabilities(this.engine.db, repo, after, limit));
  }

  async putSignatureVerdict(record: SignatureVerdictRecord): Promise<void> {
    await this.read(() => this.engine.transact((trx) => putSignatureVerdict(trx, record)));
  }

  async signatureVerdict(repo: string, digest: string, keyset: string): Promise<SignatureVerdictRecord | undefined> {
    return this.read(() => getSignatureVerdict(this.engine.db, repo, digest, keyset));
  }

  /** Indexes in the repository that list `digest` as a child (a signed index signs its children). */
  async indexesListing(repo: string, digest: string): Promise<string[]> {
    return this.read(() => indexesListing(this.engine.db, repo, digest));
  }

  /** The repositories holding a manifest, with its tags in each. */
  async placesOf(digest: string): Promise<{ repo: string; tags: string[] }[]> {
    return this.read(() => placesOf(this.engine.db, digest));
  }

  /** Drops every supply-chain row about manifests GC deleted. */
  async forgetSecurity(digests: readonly string[]): Promise<void> {
    if (digests.length) await this.read(() => this.engine.transact((trx) => forgetSecurity(trx, digests)));
  }

  // ---- the write journal ----

  /**
   * Opens a journal entry before a registry write changes storage; the index
   * write that mirrors it (`ctx.intent`) or `closeIntent` removes it. An entry
   * that outlives its write names a repository for scrub to verify.
   */
  async openIntent(repo: string, operation: string, at = Date.now()): Promise<number> {
    return this.read(() => openIntent(this.engine.db, this.engine.kind, repo, operation, at));
  }

  async closeIntent(id: number): Promise<void> {
    await this.read(() => closeIntent(this.engine.db, this.engine.kind, id));
  }

  /** Journal entries open for a repository: writes in flight, or left behind; with `before`, only those opened earlier. */
  async openIntentsFor(repo: string, before?: number): Promise<number> {
    return this.read(() => openIntentsFor(this.engine.db, repo, before));
  }

  /** Journal entries opened before `before`, oldest first. */
  async staleIntents(before: number, limit?: number): Promise<WriteIntent[]> {
    return this.read(() => staleIntents(this.engine.db, before, limit));
  }

  /** The journal entries open now for these operations. */
  async openIntentsOf(operations: readonly string[]): Promise<WriteIntent[]> {
    return this.read(() => openIntentsOf(this.engine.db, operations));
  }

  async intentOpen(id: number): Promise<boolean> {
    return this.read(() => intentOpen(this.engine.db, id));
  }

  // ---- announced garbage-collection runs (gc/collector.ts) ----

  /** Announces a run to writers; its id, for heartbeats and the end. */
  async announceGcRun(at = Date.now()): Promise<number> {
    return this.read(() => announceRun(this.engine.db, at));
  }

  /** Records that the run is alive; false when its announcement was cleared (the run must stop). */
  async heartbeatGcRun(id: number, at = Date.now()): Promise<boolean> {
    return this.read(() => heartbeatRun(this.engine.db, id, at));
  }

  async gcRunAnnounced(id: number): Promise<boolean> {
    return this.read(() => runAnnounced(this.engine.db, id));
  }

  async endGcRun(id: number): Promise<void> {
    await this.read(() => endRun(this.engine.db, id));
  }

  /** Whether any run is announced, and how many runs were ever announced (write/gc-protocol.ts). */
  async gcRunState(): Promise<GcRunState> {
    return this.read(() => runState(this.engine.db, this.engine.kind));
  }

  /** Clears announcements of runs that stopped beating before `before`; how many. */
  async clearSilentGcRuns(before: number): Promise<number> {
    return this.read(() => clearSilentRuns(this.engine.db, before));
  }

  // ---- point reads (request path) ----

  async resolveTag(repo: string, tag: string): Promise<string | undefined> {
    return this.read(() => resolveTag(this.engine.db, repo, tag));
  }

  async getManifest(repo: string, digest: string): Promise<ManifestInfo | undefined> {
    return this.read(() => getManifest(this.engine.db, repo, digest));
  }

  /** The manifest's media type when the repository has it (one indexed column, compiled once). */
  async manifestMediaType(repo: string, digest: string): Promise<string | undefined> {
    return this.read(() => manifestMediaType(this.engine.db, this.engine.kind, repo, digest));
  }

  async tagsOf(repo: string, digest: string): Promise<string[]> {
    return this.read(() => tagsOf(this.engine.db, repo, digest));
  }

  /** The blob's size and link time when it is linked in the repository. */
  async linkedBlob(repo: string, digest: string): Promise<LinkedBlob | undefined> {
    return this.read(() => linkedBlob(this.engine.db, this.engine.kind, repo, digest));
  }

  /** Digest → newest pull time of the repository's pulled manifests (written pulls only: flushPulls() first for the newest). */
  async lastPulls(repo: string): Promise<Map<string, number>> {
    return this.read(() => lastPulls(this.engine.db, repo));
  }

  async blobSize(digest: string): Promise<number | undefined> {
    return this.read(() => blobSize(this.engine.db, digest));
  }

  async repositoryStatus(repo: string): Promise<RepositoryStatus | undefined> {
    return this.read(() => getRepository(this.engine.db, repo));
  }

  // ---- pages (request path, O(page)) ----

  /** Tag names after `last` (Distribution's `n`/`last`). */
  async tagNames(repo: string, query: { n?: number; last?: string } = {}): Promise<Page<string>> {
    return this.read(() => tagNames(this.engine.db, repo, query.n, query.last));
  }

  /** Tags after `last` with digest, media type, size, created, platforms, push and last pull. */
  async tagPage(repo: string, query: { n?: number; last?: string } = {}): Promise<Page<TagInfo>> {
    return this.read(() => tagPage(this.engine.db, this.engine.kind, repo, query.n, query.last));
  }

  /** Config + layers of the repository's images among `digests` (an index: per platform, and its distinct blobs). */
  async imageSizes(repo: string, digests: readonly string[]): Promise<Map<string, ImageSize>> {
    return this.read(() => imageSizes(this.engine.db, repo, digests));
  }

  /** Every tag with metadata, a page at a time. */
  allTags(repo: string, slice?: number): AsyncGenerator<TagInfo[]> {
    return this.iterate(allTags(this.engine.db, this.engine.kind, repo, slice));
  }

  async tagHistory(repo: string, query: { tag?: string; limit?: number; cursor?: string } = {}): Promise<Page<TagHistoryEntry>> {
    return this.read(() => tagHistory(this.engine.db, repo, query));
  }

  async referrers(repo: string, subject: string, query: { artifactType?: string; limit?: number; after?: string } = {}): Promise<Page<ReferrerDescriptor>> {
    return this.read(() => referrers(this.engine.db, repo, subject, query));
  }

  async catalog(query: CatalogQuery = {}): Promise<Page<string>> {
    return this.read(() => catalogPage(this.engine.db, this.engine.kind, query));
  }

  async repositories(query: RepositoryListQuery = {}): Promise<Page<RepositoryStatus>> {
    return this.read(() => listRepositories(this.engine.db, query));
  }

  async audit(query: AuditQuery = {}): Promise<Page<AuditRecord>> {
    return this.read(() => auditPage(this.engine.db, query));
  }

  // ---- relations between manifests (the browsing API; bounded reads) ----

  /** What a manifest references, with blob sizes. */
  async manifestRefs(repo: string, digest: string): Promise<ReferencedBlob[]> {
    return this.read(() => manifestRefs(this.engine.db, repo, digest));
  }

  /** The rows of several manifests of one repository (those the index has). */
  async manifestsIn(repo: string, digests: readonly string[]): Promise<ManifestInfo[]> {
    return this.read(() => manifestsIn(this.engine.db, repo, digests));
  }

  /** Referrers of each subject counted by artifact type. */
  async referrerCounts(repo: string, subjects: readonly string[]): Promise<Map<string, ReferrerCount[]>> {
    return this.read(() => referrerCounts(this.engine.db, repo, subjects));
  }

  /** Which of `tags` exist, with their digests. */
  async existingTags(repo: string, tags: readonly string[]): Promise<Map<string, string>> {
    return this.read(() => existingTags(this.engine.db, repo, tags));
  }

  /** Manifests in `repo` (or any repository) referencing `ref` as `kind`, at most `limit`. */
  async referencing(ref: string, kind: 'layer' | 'manifest' | 'config', limit: number, repo?: string): Promise<ManifestKey[]> {
    return this.read(() => referencing(this.engine.db, ref, kind, limit, repo));
  }

  /** Repositories holding a manifest with this digest, at most `limit`. */
  async holders(digest: string, limit: number): Promise<string[]> {
    return this.read(() => holders(this.engine.db, digest, limit));
  }

  /** Per manifest (`repo@digest`): its layer count and how many of its layers are in `within`. */
  async layerOverlap(manifests: readonly ManifestKey[], within: readonly string[]): Promise<Map<string, { layers: number; shared: number }>> {
    return this.read(() => layerOverlap(this.engine.db, manifests, within));
  }

  /** Of `blobs`, those no manifest outside `closure` references (in any repository, or in `repo` alone). */
  async unreferencedOutside(repo: string, closure: readonly string[], blobs: readonly string[], scope: 'storage' | 'repository'): Promise<Set<string>> {
    return this.read(() => unreferencedOutside(this.engine.db, repo, closure, blobs, scope));
  }

  async blobSizes(digests: readonly string[]): Promise<Map<string, number>> {
    return this.read(() => blobSizes(this.engine.db, digests));
  }

  /** Whether the tag's history names `digest` (a rollback target). */
  async tagHadDigest(repo: string, tag: string, digest: string): Promise<boolean> {
    return this.read(() => tagHadDigest(this.engine.db, repo, tag, digest));
  }

  // ---- supply-chain results (written by scanning and signature checks) ----

  async scanResults(digests: readonly string[]): Promise<Map<string, ScanResult>> {
    return this.read(() => scanResults(this.engine.db, digests));
  }

  /** The verdicts on `digests` checked in `repo` (signatures are the repository's own referrers and tags). */
  async signatureVerdicts(repo: string, digests: readonly string[]): Promise<Map<string, SignatureVerdict[]>> {
    return this.read(() => signatureVerdicts(this.engine.db, repo, digests));
  }

  // ---- aggregates and scans (background work, sliced) ----

  /** Unique bytes linked in the repositories a quota pattern (`team-a/**`) matches. */
  async scopeUsage(pattern: string): Promise<Usage> {
    return this.read(() => scopeUsage(this.engine.db, this.engine.kind, pattern));
  }

  /** The unique digests with sizes a quota scope holds, a slice at a time. */
  scopeContent(pattern: string): AsyncGenerator<Array<{ digest: string; size: number }>> {
    return this.iterate(scopeContent(this.engine.db, this.engine.kind, pattern));
  }

  /** Each manifest and linked layer, with its size, of the repositories whose names start with `prefix`, a slice at a time. */
  heldUnder(prefix: string): AsyncGenerator<HeldDigest[]> {
    return this.iterate(heldUnder(this.engine.db, prefix));
  }

  /** Counters recomputed from the rows, without repairing (a check for scrub and tests). */
  async countRepository(repo: string): Promise<Counters> {
    return this.read(() => countRepository(this.engine.db, repo));
  }

  repositoryNames(slice?: number): AsyncGenerator<string[]> {
    return this.iterate(repositoryNames(this.engine.db, slice));
  }

  allBlobs(slice?: number): AsyncGenerator<{ digest: string; size: number }[]> {
    return this.iterate(allBlobs(this.engine.db, slice));
  }

  async repositoryGraph(repo: string): Promise<RepositoryGraph> {
    return this.read(() => repositoryGraph(this.engine.db, repo));
  }

  /** GC's mark phase, repository by repository, with a turn of the event loop after each. */
  async *gcMark(options: MarkOptions): AsyncGenerator<RepositoryMark> {
    for await (const names of this.repositoryNames()) {
      for (const repo of names) {
        yield await markRepository(await this.repositoryGraph(repo), options);
        await yieldToEventLoop();
      }
    }
  }

  /**
   * Refreshes the planner's statistics. Call after bulk changes (a scrub that
   * rebuilt the index): until PostgreSQL's autovacuum gets to it, a table filled
   * since its last ANALYZE looks empty to the planner.
   */
  async analyze(): Promise<void> {
    await this.read(() => analyze(this.engine));
  }

  /** Writes buffered pull times, stops listening and closes the connections. */
  async close(): Promise<void> {
    this.closing ??= (async () => {
      await this.pulls.close().catch(() => undefined);
      this.closed = true;
      await this.channel.close();
      await this.engine.close();
    })();
    await this.closing;
  }

  // ---- plumbing ----

  private async read<T>(fn: () => Promise<T>): Promise<T> {
    this.checkOpen();
    return guarded(this.engine.kind, fn);
  }

  /** After close() the index is as good as a database that is gone. */
  private checkOpen(): void {
    if (this.closed) throw new MetadataUnavailableError(this.engine.kind, new Error('the index is closed'));
  }

  private async *iterate<T>(inner: AsyncGenerator<T>): AsyncGenerator<T> {
    for (;;) {
      const step = await guarded(this.engine.kind, () => inner.next());
      if (step.done) return;
      yield step.value;
    }
  }

  /** One transaction; its invalidations go to other replicas at commit and to this one's subscribers right after. */
  private async write<T>(fn: (w: WriteScope) => Promise<T>, intent?: number): Promise<T> {
    this.checkOpen();
    for (let attempt = 1; ; attempt++) {
      const events: Invalidation[] = [];
      try {
        const result = await guarded(this.engine.kind, () => this.engine.transact(async (trx) => {
          const repositories = new RepositoryChanges();
          const r = await fn({ trx, kind: this.engine.kind, changed: (e) => events.push(e), repositories });
          if (intent !== undefined) await closeIntent(trx, this.engine.kind, intent);
          // Last, so the repository rows' locks are held only until the commit.
          await repositories.apply(trx, this.engine.kind);
          if (events.length) await this.channel.publishInTransaction(trx, events);
          return r;
        }));
        this.channel.deliver(events);
        return result;
      } catch (err) {
        const code = (err as { cause?: { code?: string } }).cause?.code;
        if (attempt >= WRITE_ATTEMPTS || !code || !RETRYABLE.has(code)) throw err;
      }
    }
  }
}

/** Runs `fn`, turning database outages into MetadataUnavailableError. */
async function guarded<T>(kind: EngineKind, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof MetadataUnavailableError) throw err;
    if (isUnavailable(kind, err)) throw new MetadataUnavailableError(kind, err);
    throw err;
  }
}
