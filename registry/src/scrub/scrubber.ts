// Scrub: storage is the truth, and scrub makes the metadata index say what storage
// says. Per repository it compares tags, manifests and layer links, records what
// the index lacks (reading a manifest's body only when the index does not have
// it), forgets what storage no longer has, and recounts the repository's figures.
// A repository with a write in flight (an open journal entry) is left for later,
// so scrub never re-adds what a concurrent delete is removing.
import type { Logger } from '../log.js';
import { manifestRecord } from '../metadata/manifest-record.js';
import type { MetadataIndex } from '../metadata/index.js';
import { parseDigest } from '../reference.js';
import type { RegistryStorage } from '../storage/registry-storage.js';

const ACTOR = { actor: 'scrub' };

export interface RepositoryDrift {
  readonly repo: string;
  manifestsAdded: number;
  manifestsRemoved: number;
  tagsSet: number;
  tagsRemoved: number;
  linksAdded: number;
  linksRemoved: number;
}

export interface ScrubReport {
  readonly repositories: number;
  readonly repositoriesRemoved: number;
  /** Repositories whose index differed from storage, with what was repaired. */
  readonly drift: RepositoryDrift[];
  /** Repositories skipped because a write was in flight; the next scrub takes them. */
  readonly busy: string[];
  readonly seconds: number;
}

export type ScrubResult = RepositoryDrift | 'busy';

export class Scrubber {
  constructor(private readonly storage: RegistryStorage, private readonly index: MetadataIndex, private readonly log: Logger) {}

  /** Every repository in storage, and the index's repositories storage no longer has. */
  async scrubAll(options: { dryRun?: boolean; progressEvery?: number } = {}): Promise<ScrubReport> {
    const started = Date.now();
    const names = await this.storage.repositories.list();
    const drift: RepositoryDrift[] = [];
    const busy: string[] = [];
    let done = 0;
    for (const repo of names) {
      const result = await this.scrubRepository(repo, options.dryRun);
      if (result === 'busy') busy.push(repo);
      else if (changed(result)) drift.push(result);
      if (++done % (options.progressEvery ?? 500) === 0) this.log.info({ msg: 'scrub progress', repositories: done, of: names.length });
    }
    const inStorage = new Set(names);
    let removed = 0;
    for await (const slice of this.index.repositoryNames()) {
      for (const repo of slice) {
        if (inStorage.has(repo) || (await this.index.openIntentsFor(repo)) > 0) continue;
        if (!options.dryRun) await this.index.deleteRepository(repo, ACTOR);
        removed++;
      }
    }
    if (!options.dryRun && (drift.length || removed)) await this.index.analyze();
    return { repositories: names.length, repositoriesRemoved: removed, drift, busy, seconds: (Date.now() - started) / 1000 };
  }

  /**
   * Makes one repository's index rows match storage; 'busy' while a write to it is
   * in flight. `leftBehind` journal entries (of writes that died) do not count as
   * in flight: repairing after them is what this call is for.
   */
  async scrubRepository(repo: string, dryRun = false, leftBehind = 0): Promise<ScrubResult> {
    if ((await this.index.openIntentsFor(repo)) > leftBehind) return 'busy';
    const drift: RepositoryDrift = { repo, manifestsAdded: 0, manifestsRemoved: 0, tagsSet: 0, tagsRemoved: 0, linksAdded: 0, linksRemoved: 0 };
    const graph = await this.index.repositoryGraph(repo);
    const storedManifests = new Set((await this.storage.manifests.list(repo)).map((d) => d.value));
    const storedLinks = new Set((await this.storage.blobs.links(repo)).map((d) => d.value));
    const storedTags = new Map<string, string>();
    for (const tag of (await this.storage.tags.list(repo)) ?? []) {
      const d = await this.storage.tags.resolve(repo, tag);
      if (d && storedManifests.has(d.value)) storedTags.set(tag, d.value);
    }

    for (const value of storedManifests) {
      if (graph.manifests.has(value)) continue;
      drift.manifestsAdded++;
      if (!dryRun) await this.recordManifest(repo, value);
    }
    for (const value of graph.manifests.keys()) {
      if (storedManifests.has(value)) continue;
      drift.manifestsRemoved++;
      if (!dryRun) await this.index.deleteManifest(repo, value, ACTOR);
    }
    for (const [tag, value] of storedTags) {
      if (graph.tags.get(tag)?.digest === value) continue;
      drift.tagsSet++;
      if (!dryRun) await this.index.setTag(repo, tag, value, { ...ACTOR, at: await this.storage.tags.writtenAt(repo, tag) });
    }
    for (const tag of graph.tags.keys()) {
      if (storedTags.has(tag)) continue;
      drift.tagsRemoved++;
      if (!dryRun) await this.index.deleteTag(repo, tag, ACTOR);
    }
    for (const value of storedLinks) {
      if (graph.links.has(value)) continue;
      const d = parseDigest(value);
      const size = d && (await this.storage.blobs.globalSize(d));
      if (size === undefined || size === null) continue; // a link to a blob that is gone: nothing to serve
      drift.linksAdded++;
      if (!dryRun) await this.index.linkBlob(repo, value, size);
    }
    for (const value of graph.links.keys()) {
      if (storedLinks.has(value)) continue;
      drift.linksRemoved++;
      if (!dryRun) await this.index.unlinkBlob(repo, value);
    }
    if (!dryRun) await this.index.recountRepository(repo);
    if (changed(drift)) this.log.warn({ msg: dryRun ? 'metadata index differs from storage' : 'metadata index repaired from storage', ...drift });
    return drift;
  }

  private async recordManifest(repo: string, value: string): Promise<void> {
    const digest = parseDigest(value);
    const meta = digest && (await this.storage.manifests.meta(repo, digest));
    const body = digest && (await this.storage.blobs.read(digest).catch(() => undefined));
    if (!digest || !meta || !body) return; // a link whose body is gone: GC's business, not the index's
    const read = async (d: string) => {
      const parsed = parseDigest(d);
      return parsed ? this.storage.blobs.read(parsed).catch(() => undefined) : undefined;
    };
    const record = await manifestRecord({ repo, digest: value, mediaType: meta.mediaType, body, readBlob: read });
    await this.index.recordManifest(record, { ...ACTOR, at: Date.parse(meta.pushedAt) || undefined });
  }
}

function changed(d: RepositoryDrift): boolean {
  return d.manifestsAdded + d.manifestsRemoved + d.tagsSet + d.tagsRemoved + d.linksAdded + d.linksRemoved > 0;
}
