// Which blobs a repository may serve, remembered between requests. A link is a
// mutable fact: the index tells every replica when one changes (LISTEN/NOTIFY on
// PostgreSQL), and while it cannot hear other replicas the cache answers nothing.
import type { Invalidation, Invalidations } from '../metadata/invalidations/channel.js';

/** Links remembered per repository; the oldest repository goes first when full. */
const MAX_REPOSITORIES = 4096;
const MAX_LINKS_PER_REPOSITORY = 4096;

export class LinkCache {
  private readonly repos = new Map<string, Map<string, number>>();
  /** Bumped by every invalidation: a read that started before one must not fill the cache. */
  private epoch = 0;

  constructor(private readonly invalidations: Invalidations) {
    invalidations.subscribe((events) => this.drop(events));
    invalidations.onConnectionChange(() => { this.epoch++; this.repos.clear(); });
  }

  /** The blob's size when it is known to be linked in the repository. */
  get(repo: string, digest: string): number | undefined {
    if (!this.invalidations.connected) return undefined;
    return this.repos.get(repo)?.get(digest);
  }

  /** Where invalidations stand now: pass it back to `set` with what was read after. */
  get version(): number {
    return this.epoch;
  }

  /** Remembers a link read from the index at `version`, unless anything was invalidated since. */
  set(repo: string, digest: string, size: number, version: number): void {
    if (!this.invalidations.connected || version !== this.epoch) return;
    let links = this.repos.get(repo);
    if (!links) {
      if (this.repos.size >= MAX_REPOSITORIES) this.repos.delete(this.repos.keys().next().value!);
      links = new Map();
      this.repos.set(repo, links);
    }
    if (links.size >= MAX_LINKS_PER_REPOSITORY) links.delete(links.keys().next().value!);
    links.set(digest, size);
  }

  private drop(events: readonly Invalidation[]): void {
    this.epoch++;
    for (const e of events) {
      if (e.kind === 'all') this.repos.clear();
      else if (e.kind === 'repository') this.repos.delete(e.repo);
      else if (e.kind === 'link') this.repos.get(e.repo)?.delete(e.digest);
    }
  }
}
