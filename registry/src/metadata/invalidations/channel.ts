// Cache invalidation between replicas. Every write names the mutable facts it
// changed (a tag, a layer link, a manifest link, a whole repository); each
// replica's caches subscribe and drop those keys. In-process for SQLite (one
// node); PostgreSQL LISTEN/NOTIFY otherwise (postgres-channel.ts).
import type { Db } from '../engine/engine.js';

export type Invalidation =
  | { readonly kind: 'tag'; readonly repo: string; readonly tag: string }
  | { readonly kind: 'link'; readonly repo: string; readonly digest: string }
  | { readonly kind: 'manifest'; readonly repo: string; readonly digest: string }
  | { readonly kind: 'repository'; readonly repo: string }
  /** Changes may have been missed (the channel was down): drop every cached mutable fact. */
  | { readonly kind: 'all' };

export type InvalidationListener = (events: readonly Invalidation[]) => void;

export interface Invalidations {
  /** Calls `listener` with every change, this replica's (at commit) and the others'. Returns an unsubscribe function. */
  subscribe(listener: InvalidationListener): () => void;
  /**
   * Whether other replicas' changes are being received. While false a cache of
   * mutable facts must not answer from memory; when it turns true again an
   * `all` invalidation comes first.
   */
  readonly connected: boolean;
  onConnectionChange(listener: (connected: boolean) => void): () => void;
}

/** The side the index's write path uses. */
export interface InvalidationChannel extends Invalidations {
  /** Sends `events` to the other replicas as part of the transaction: they arrive only if it commits. */
  publishInTransaction(trx: Db, events: readonly Invalidation[]): Promise<void>;
  /** Tells this process's subscribers, once the transaction committed. */
  deliver(events: readonly Invalidation[]): void;
  close(): Promise<void>;
}

/** Subscribers and connection-state listeners, shared by both channels. */
export class Subscribers {
  private readonly listeners = new Set<InvalidationListener>();
  private readonly stateListeners = new Set<(connected: boolean) => void>();

  subscribe(listener: InvalidationListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  onConnectionChange(listener: (connected: boolean) => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  deliver(events: readonly Invalidation[]): void {
    if (!events.length) return;
    for (const l of this.listeners) l(events);
  }

  connectionChanged(connected: boolean): void {
    for (const l of this.stateListeners) l(connected);
  }
}

/** One process, one database: every change is made here, so delivery at commit is all there is. */
export class LocalInvalidations extends Subscribers implements InvalidationChannel {
  readonly connected = true;
  async publishInTransaction(): Promise<void> {}
  async close(): Promise<void> {}
}

const perFile = new Map<string, LocalInvalidations>();

/**
 * The channel of a SQLite file: every index this process opens on the same file
 * shares it (as they share the connection), so a write through one is heard by the
 * caches of all.
 */
export function localInvalidationsFor(file: string | undefined): LocalInvalidations {
  if (file === undefined) return new LocalInvalidations();
  let channel = perFile.get(file);
  if (!channel) {
    channel = new LocalInvalidations();
    perFile.set(file, channel);
  }
  return channel;
}
