// Mutable facts of repositories (which blobs are linked, what a tag points at),
// remembered between requests. The index tells every replica when one changes
// (LISTEN/NOTIFY on PostgreSQL); while it cannot hear other replicas the cache
// answers nothing, and a read that started before an invalidation never fills it.
import type { Invalidation, Invalidations } from '../metadata/invalidations/channel.js';

export type RepositoryInvalidation = Exclude<Invalidation, { kind: 'all' } | { kind: 'repository' }>;

export interface FactCacheOptions<V> {
  /** Repositories remembered; the oldest goes first when full. */
  readonly repositories: number;
  /** Facts per repository; the oldest goes first when full. */
  readonly perRepository: number;
  /** Drops what one change within a repository makes stale. */
  readonly forget: (facts: Map<string, V>, change: RepositoryInvalidation) => void;
}

export class FactCache<V> {
  private readonly repos = new Map<string, Map<string, V>>();
  /** Bumped by every invalidation: a read that started before one must not fill the cache. */
  private epoch = 0;

  constructor(private readonly invalidations: Invalidations, private readonly options: FactCacheOptions<V>) {
    invalidations.subscribe((events) => this.drop(events));
    invalidations.onConnectionChange(() => { this.epoch++; this.repos.clear(); });
  }

  get(repo: string, key: string): V | undefined {
    if (!this.invalidations.connected) return undefined;
    return this.repos.get(repo)?.get(key);
  }

  /** Where invalidations stand now: pass it back to `set` with what was read after. */
  get version(): number {
    return this.epoch;
  }

  /** Remembers a fact read from the index at `version`, unless anything was invalidated since. */
  set(repo: string, key: string, value: V, version: number): void {
    if (!this.invalidations.connected || version !== this.epoch) return;
    let facts = this.repos.get(repo);
    if (!facts) {
      if (this.repos.size >= this.options.repositories) this.repos.delete(this.repos.keys().next().value!);
      facts = new Map();
      this.repos.set(repo, facts);
    }
    if (facts.size >= this.options.perRepository) facts.delete(facts.keys().next().value!);
    facts.set(key, value);
  }

  private drop(events: readonly Invalidation[]): void {
    this.epoch++;
    for (const e of events) {
      if (e.kind === 'all') this.repos.clear();
      else if (e.kind === 'repository') this.repos.delete(e.repo);
      else {
        const facts = this.repos.get(e.repo);
        if (facts) this.options.forget(facts, e);
      }
    }
  }
}
