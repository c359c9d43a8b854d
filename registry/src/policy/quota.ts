// Exact storage quotas per scope (a repository, or a prefix such as a team).
//
// Usage of a scope = every unique blob and manifest linked in its repositories
// (each digest once, however many repositories or tags share it) + the bytes of its
// in-progress uploads + bytes reserved by chunks being written right now. It is
// computed from storage on first use, kept up to date by the decisions below, and
// recomputed after deletes, GC and upload purges.
//
// Every decision (reserve a chunk, commit a blob, commit a manifest, link a mount)
// runs under a per-scope mutex and updates the usage before releasing it, so two
// pushes racing for the last bytes cannot both pass. A repository in several scopes
// takes their locks in one fixed order. The mutex is per process: with several
// replicas each keeps its own view, and concurrent pushes through different replicas
// can overshoot by at most what is in flight at once (docs/lifecycle.md).
import { Code, RegistryError } from '../errors.js';
import type { Digest } from '../reference.js';
import type { Metrics } from '../metrics/metrics.js';
import { KeyedMutex } from '../storage/keyed-mutex.js';
import type { MetadataIndex } from '../metadata/index.js';
import type { RegistryStorage } from '../storage/registry-storage.js';
import type { QuotaGate } from './quota-gate.js';
import type { QuotaScope, RepositorySettings } from './repository-settings.js';

interface ScopeUsage {
  /** Unique content linked in the scope's repositories: digest → size (from storage, then kept up to date). */
  readonly content: Map<string, number>;
  /** In-progress uploads of the scope's repositories: id → bytes stored. */
  readonly uploads: Map<string, number>;
}

/** A chunk being written. Kept outside the scope caches so a recount never loses it. */
interface Inflight {
  readonly repo: string;
  readonly id: string;
  readonly bytes: number;
}

/** Content admitted whose commit has not finished: counted until its link is in storage. */
interface Pending {
  readonly repo: string;
  readonly digest: string;
  readonly size: number;
  readonly uploadId?: string;
}

export interface QuotaRefusal {
  readonly repository: string;
  readonly scope: string;
  readonly limitBytes: number;
  readonly usedBytes: number;
  readonly requestedBytes: number;
}

export interface QuotaStatus {
  readonly scope: string;
  readonly limitBytes: number;
  readonly usedBytes: number;
}

export class QuotaManager implements QuotaGate {
  private readonly usage = new Map<string, ScopeUsage>();
  private readonly inflight = new Map<number, Inflight>();
  private readonly pending = new Map<number, Pending>();
  private readonly mutex = new KeyedMutex();
  private nextToken = 1;

  constructor(
    private readonly settings: RepositorySettings,
    private readonly storage: RegistryStorage,
    private readonly index: MetadataIndex,
    private readonly metrics: Metrics,
  ) {}

  scopesOf(repo: string): string[] {
    return this.settings.quotaScopes(repo).map((s) => s.key);
  }

  /** Usage of a scope: its content, admitted content still committing, uploads and chunks in flight. */
  private total(scope: QuotaScope, u: ScopeUsage): number {
    let sum = 0;
    for (const v of u.content.values()) sum += v;
    const committingUploads = new Set<string>();
    const committing = new Set<string>();
    for (const p of this.pending.values()) {
      if (!scope.pattern.test(p.repo)) continue;
      if (p.uploadId) committingUploads.add(p.uploadId);
      if (!u.content.has(p.digest) && !committing.has(p.digest)) {
        committing.add(p.digest);
        sum += p.size;
      }
    }
    for (const [id, v] of u.uploads) if (!committingUploads.has(id)) sum += v;
    for (const c of this.inflight.values()) if (scope.pattern.test(c.repo)) sum += c.bytes;
    return sum;
  }

  /** Bytes an upload holds: stored so far plus its chunk being written. */
  private uploadBytes(u: ScopeUsage, id: string): number {
    let sum = u.uploads.get(id) ?? 0;
    for (const c of this.inflight.values()) if (c.id === id) sum += c.bytes;
    return sum;
  }

  /**
   * Reserves `bytes` for a chunk about to be written to upload `id`. Returns the
   * function to call once the write finished (or failed): it swaps the reservation
   * for the upload's real size in storage.
   */
  async reserveChunk(repo: string, id: string, bytes: number): Promise<() => Promise<void>> {
    const scopes = this.settings.quotaScopes(repo);
    if (!scopes.length) return async () => undefined;
    const token = this.nextToken++;
    await this.locked(scopes, async (states) => {
      this.check(repo, scopes, states, (scope, s) => ({ requested: bytes, after: this.total(scope, s) + bytes }));
      this.inflight.set(token, { repo, id, bytes });
    });
    return async () => {
      const size = await this.uploadSize(id);
      await this.locked(scopes, async (states) => {
        if (!this.inflight.delete(token)) return; // the upload was admitted as content meanwhile
        for (const s of states) {
          if (size === undefined) s.uploads.delete(id);
          else s.uploads.set(id, size);
        }
      });
    };
  }

  /** Re-reads an upload's stored size (after a write that reserved nothing, or a discarded upload). */
  async refreshUpload(repo: string, id: string): Promise<void> {
    const scopes = this.settings.quotaScopes(repo);
    if (!scopes.length) return;
    const size = await this.uploadSize(id);
    await this.locked(scopes, async (states) => {
      for (const s of states) {
        if (size === undefined) s.uploads.delete(id);
        else s.uploads.set(id, size);
      }
    });
  }

  /**
   * Admits content about to be linked in the repository: a completed upload (`id`),
   * a mount, or a manifest body. The upload's bytes become the content's; content
   * already in a scope costs nothing there. Throws QUOTA_EXCEEDED before anything is
   * committed. The returned function must be called once the commit finished.
   */
  async admit(repo: string, d: Digest, size: number, uploadId?: string): Promise<(committed: boolean) => Promise<void>> {
    const scopes = this.settings.quotaScopes(repo);
    if (!scopes.length) return async () => undefined;
    const token = this.nextToken++;
    await this.locked(scopes, async (states) => {
      this.check(repo, scopes, states, (scope, s) => {
        // The upload's bytes were counted while it was written; what matters is the total once it is content.
        const requested = s.content.has(d.value) ? 0 : size;
        return { requested, after: this.total(scope, s) - (uploadId ? this.uploadBytes(s, uploadId) : 0) + requested };
      });
      this.pending.set(token, { repo, digest: d.value, size, uploadId });
      if (uploadId) {
        for (const [t, c] of this.inflight) if (c.id === uploadId) this.inflight.delete(t);
        for (const s of states) s.uploads.delete(uploadId);
      }
    });
    return async (committed) => {
      await this.locked(scopes, async (states) => {
        this.pending.delete(token);
        if (committed) for (const s of states) s.content.set(d.value, size);
        if (uploadId) for (const s of states) s.uploads.delete(uploadId);
      });
      if (!committed) this.invalidate(repo); // a half-done commit: count again from storage
    };
  }

  /** Forgets the cached usage of every scope the repository is in (after deletes, failures). */
  invalidate(repo?: string): void {
    const scopes = repo === undefined ? this.settings.allQuotaScopes() : this.settings.quotaScopes(repo);
    for (const s of scopes) {
      // Recompute under the lock so a decision in flight finishes against the old view first.
      // Not awaited: callers need not wait for it, and the step cannot fail.
      void this.mutex.run(s.key, async () => { this.usage.delete(s.key); });
    }
  }

  async status(): Promise<QuotaStatus[]> {
    const out: QuotaStatus[] = [];
    for (const scope of this.settings.allQuotaScopes()) {
      const used = await this.mutex.run(scope.key, async () => this.total(scope, await this.load(scope)));
      out.push({ scope: scope.key, limitBytes: scope.limitBytes, usedBytes: used });
    }
    return out;
  }

  /** Refuses when a scope would end above its limit by adding `requested` new bytes (freeing is always allowed). */
  private check(repo: string, scopes: QuotaScope[], states: ScopeUsage[],
    change: (scope: QuotaScope, s: ScopeUsage) => { requested: number; after: number }): void {
    scopes.forEach((scope, i) => {
      const used = this.total(scope, states[i]);
      const { requested, after } = change(scope, states[i]);
      if (requested > 0 && after > scope.limitBytes) {
        const refusal = { repository: repo, scope: scope.key, limitBytes: scope.limitBytes, usedBytes: used, requestedBytes: requested };
        this.metrics.quotaRefusals.inc({ scope: scope.key });
        throw new RegistryError(Code.QUOTA_EXCEEDED, refusal, {},
          `storage quota exceeded for ${scope.key}: ${used} of ${scope.limitBytes} bytes used, ${requested} more requested`);
      }
    });
  }

  private async locked<T>(scopes: QuotaScope[], fn: (states: ScopeUsage[]) => Promise<T>): Promise<T> {
    const run = async (i: number): Promise<T> => {
      if (i === scopes.length) {
        const states = await Promise.all(scopes.map((s) => this.load(s)));
        const result = await fn(states);
        scopes.forEach((s, j) => this.metrics.quotaUsedBytes.set({ scope: s.key }, this.total(s, states[j])));
        return result;
      }
      return this.mutex.run(scopes[i].key, () => run(i + 1));
    };
    return run(0);
  }

  private async load(scope: QuotaScope): Promise<ScopeUsage> {
    const cached = this.usage.get(scope.key);
    if (cached) return cached;
    const content = new Map<string, number>();
    for await (const slice of this.index.scopeContent(scope.key)) for (const { digest, size } of slice) content.set(digest, size);
    const uploads = new Map<string, number>();
    for (const upload of await this.storage.uploads.list()) {
      if (scope.pattern.test(upload.repo)) uploads.set(upload.id, upload.size);
    }
    const usage: ScopeUsage = { content, uploads };
    this.usage.set(scope.key, usage);
    this.metrics.quotaLimitBytes.set({ scope: scope.key }, scope.limitBytes);
    this.metrics.quotaUsedBytes.set({ scope: scope.key }, this.total(scope, usage));
    return usage;
  }

  /** Bytes stored for an upload; 0 before its first chunk, undefined once it is gone. */
  private uploadSize(id: string): Promise<number | undefined> {
    return this.storage.uploads.storedSize(id);
  }
}
