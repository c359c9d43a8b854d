// What the write path tells its listeners after each committed write. A feature
// that must follow every change to the registry's content (CloudEvents, quota
// caches, the metadata index, scan on push, cache bookkeeping) is one listener;
// no write can forget it, because every write goes through the write path.
import type { Digest } from '../reference.js';

/** Who asked for a write: the authenticated subject (or "retention", "gc"), and the client address. */
export interface Actor {
  readonly subject: string;
  readonly remote?: string;
}

export const SYSTEM_RETENTION: Actor = { subject: 'retention' };
export const SYSTEM_GC: Actor = { subject: 'gc' };
export const SYSTEM_CACHE: Actor = { subject: 'cache' };
export const SYSTEM_EVICTION: Actor = { subject: 'cache-eviction' };

/** Set on writes a pull-through cache made: the upstream the content came from. */
export interface CacheOrigin {
  readonly upstream: string;
}

export type WriteEvent =
  | {
    readonly kind: 'manifest-put'; readonly repo: string; readonly digest: Digest; readonly mediaType: string; readonly size: number;
    readonly body: Buffer; readonly tags: readonly string[]; readonly subject?: Digest; readonly actor: Actor;
    readonly cache?: CacheOrigin;
  }
  /** A tag pointed back at a manifest it named before (a rollback). */
  | {
    readonly kind: 'tag-restored'; readonly repo: string; readonly tag: string; readonly digest: Digest; readonly previous?: Digest;
    readonly mediaType: string; readonly size: number; readonly actor: Actor;
  }
  | { readonly kind: 'tag-deleted'; readonly repo: string; readonly tag: string; readonly actor: Actor; readonly reason?: string }
  | { readonly kind: 'manifest-deleted'; readonly repo: string; readonly digest: Digest; readonly tags: readonly string[]; readonly actor: Actor; readonly reason?: string }
  | { readonly kind: 'blob-linked'; readonly repo: string; readonly digest: Digest; readonly size: number; readonly actor: Actor; readonly cache?: CacheOrigin }
  /** A cache revalidation found the upstream's tag on another digest, and moved the cached tag. */
  | { readonly kind: 'cache-tag-moved'; readonly repo: string; readonly tag: string; readonly from: Digest; readonly to: Digest; readonly cache: CacheOrigin }
  /** The upstream no longer has a tag the cache holds; the cached copy is still served. */
  | { readonly kind: 'cache-upstream-missing'; readonly repo: string; readonly tag: string; readonly digest: Digest; readonly cache: CacheOrigin }
  | { readonly kind: 'blob-unlinked'; readonly repo: string; readonly digest: Digest; readonly actor: Actor }
  | { readonly kind: 'repository-deleted'; readonly repo: string; readonly actor: Actor }
  /** A quota refused a write before anything was committed. */
  | { readonly kind: 'quota-refused'; readonly repo: string; readonly refusal: Record<string, unknown>; readonly actor: Actor }
  /** An upload's bytes changed outside a commit (cancelled, purged). */
  | { readonly kind: 'uploads-discarded'; readonly repo?: string }
  /** Garbage collection deleted unreferenced content. */
  | { readonly kind: 'gc-manifest-collected'; readonly repo: string; readonly digest: Digest }
  | { readonly kind: 'gc-link-collected'; readonly repo: string; readonly digest: Digest }
  | { readonly kind: 'gc-blob-collected'; readonly digest: Digest; readonly size: number };

export interface WriteListener {
  /** Called after the write is durable in storage. A failure is logged, never undoes the write. */
  onWrite(event: WriteEvent): Promise<void> | void;
}
