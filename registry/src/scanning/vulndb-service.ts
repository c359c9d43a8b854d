// The vulnerability database in use: the OSV artifact at `vulnDB.repository`
// (its `tag`, else the most recently pushed tag), checked every
// refreshIntervalSeconds and whenever that repository is pushed to. A new
// digest is verified (a signature by one of `signedBy` when configured),
// loaded, and then announced to the listeners (the re-matcher). A database that
// fails its signature check is reported and never used; one older than
// maxAgeSeconds is used and reported stale. Never silently either.
import type { SecurityConfig } from '#contract/config/security.js';
import type { Logger } from '../log.js';
import type { MetadataIndex } from '../metadata/index.js';
import type { Metrics } from '../metrics/metrics.js';
import type { VulnDatabase } from '../security/osv/database.js';
import { loadVulnDbArtifact, VULNDB_ARTIFACT_TYPE } from '../security/osv/vulndb-artifact.js';
import { KeyAuthority } from '../security/signatures/authority.js';
import { verifySignatures } from '../security/signatures/verifier.js';
import type { RegistryStorage } from '../storage/registry-storage.js';
import { blobOpener, StoredRepository } from './content.js';
import type { TrustStore } from './trust-store.js';

export interface LoadedDb {
  readonly db: VulnDatabase;
  readonly digest: string;
  readonly tag: string;
  readonly loadedAt: number;
  /** What the age is measured from: the newest advisory's `modified`, else the artifact's `created`. */
  readonly builtAt?: number;
  /** The trust key that signed it, when `signedBy` is configured. */
  readonly signedBy?: string;
}

export type DbState = 'none' | 'loading' | 'ready' | 'untrusted' | 'failed';

export interface VulnDbStatus {
  readonly state: DbState;
  readonly repository: string;
  readonly tag?: string;
  readonly digest?: string;
  readonly ageSeconds?: number;
  readonly stale: boolean;
  /** `verified` (signed by a trusted key), `not-required` (no signedBy configured). */
  readonly signature?: 'verified' | 'not-required';
  readonly signedBy?: string;
  readonly ecosystems?: readonly string[];
  readonly advisories?: number;
  readonly loadedAt?: string;
  readonly lastCheck?: string;
  /** Why the state is not ready. */
  readonly reason?: string;
}

export type DbListener = (loaded: LoadedDb, previous: LoadedDb | undefined) => void;

interface Rejection {
  readonly digest: string;
  readonly state: 'untrusted' | 'failed';
  readonly reason: string;
}

export class VulnDbService {
  private loaded: LoadedDb | undefined;
  private rejected: Rejection | undefined;
  private emptyReason: string | undefined = 'not checked yet';
  private lastCheck: number | undefined;
  private running: Promise<boolean> | undefined;
  private again = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly listeners: DbListener[] = [];

  constructor(
    private readonly config: SecurityConfig['vulnDB'],
    private readonly storage: RegistryStorage,
    private readonly index: MetadataIndex,
    private readonly trust: TrustStore,
    private readonly metrics: Metrics,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  get repository(): string {
    return this.config.repository;
  }

  onChange(listener: DbListener): void {
    this.listeners.push(listener);
  }

  /** The trusted database in use, or undefined. */
  current(): LoadedDb | undefined {
    return this.loaded;
  }

  start(): void {
    void this.refresh();
    this.timer ??= setInterval(() => void this.refresh(), this.config.refreshIntervalSeconds * 1000).unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Resolves the tag and loads a new digest; true when the database in use changed. Calls made while one runs run once more after it. */
  refresh(): Promise<boolean> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      let changed = false;
      do {
        this.again = false;
        changed = (await this.check().catch((err: unknown) => {
          this.log.error({ msg: 'vulnerability database check failed', err: (err as Error).message });
          return false;
        })) || changed;
      } while (this.again);
      return changed;
    })().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async check(): Promise<boolean> {
    this.lastCheck = this.now();
    this.updateAge();
    const target = await this.resolve();
    if (!target) {
      this.emptyReason = this.config.tag ? `${this.config.repository}:${this.config.tag} does not exist` : `${this.config.repository} has no tags`;
      return false;
    }
    this.emptyReason = undefined;
    if (target.digest === this.loaded?.digest) {
      this.rejected = undefined;
      return false;
    }
    // A database that would not load stays refused; an unsigned one is checked again (its signature may come later).
    if (this.rejected?.state === 'failed' && target.digest === this.rejected.digest) return false;

    const verdict = await this.verify(target.digest);
    if (!verdict.ok) {
      this.reject({ digest: target.digest, state: 'untrusted', reason: verdict.reason });
      return false;
    }
    let db: VulnDatabase;
    try {
      db = await loadVulnDbArtifact(target.digest, blobOpener(this.storage));
    } catch (err) {
      this.reject({ digest: target.digest, state: 'failed', reason: (err as Error).message });
      return false;
    }
    const info = db.info();
    const modified = info.newestModified ? Date.parse(info.newestModified) : NaN;
    const loaded: LoadedDb = {
      db, digest: target.digest, tag: target.tag, loadedAt: this.now(),
      builtAt: Number.isFinite(modified) ? modified : target.created, signedBy: verdict.signer,
    };
    const previous = this.loaded;
    this.loaded = loaded;
    this.rejected = undefined;
    this.updateAge();
    this.log.info({ msg: 'vulnerability database loaded', digest: loaded.digest, tag: loaded.tag, advisories: info.documents,
      ecosystems: info.ecosystems, rejectedDocuments: info.rejected, signedBy: verdict.signer, stale: this.isStale() });
    for (const l of this.listeners) l(loaded, previous);
    return true;
  }

  private reject(r: Rejection): void {
    if (this.rejected?.digest !== r.digest || this.rejected.reason !== r.reason) {
      this.log.error({ msg: 'vulnerability database refused', digest: r.digest, state: r.state, reason: r.reason, inUse: this.loaded?.digest });
    }
    this.rejected = r;
  }

  /** The configured tag, else the most recently pushed tag holding a database artifact. */
  private async resolve(): Promise<{ digest: string; tag: string; created?: number } | undefined> {
    const repo = this.config.repository;
    let best: { digest: string; tag: string; pushedAt: number } | undefined;
    if (this.config.tag) {
      const digest = await this.index.resolveTag(repo, this.config.tag);
      if (digest) best = { digest, tag: this.config.tag, pushedAt: 0 };
    } else {
      for await (const page of this.index.allTags(repo)) {
        for (const t of page) {
          if (t.artifactType !== VULNDB_ARTIFACT_TYPE) continue;
          if (!best || t.pushedAt > best.pushedAt || (t.pushedAt === best.pushedAt && t.tag > best.tag)) best = { digest: t.digest, tag: t.tag, pushedAt: t.pushedAt };
        }
      }
    }
    if (!best) return undefined;
    const info = await this.index.getManifest(repo, best.digest);
    const created = info?.annotations?.['org.opencontainers.image.created'];
    const t = created ? Date.parse(created) : NaN;
    return { digest: best.digest, tag: best.tag, created: Number.isFinite(t) ? t : undefined };
  }

  private async verify(digest: string): Promise<{ ok: true; signer?: string } | { ok: false; reason: string }> {
    if (!this.config.signedBy.length) return { ok: true };
    const { keys, missing } = this.trust.select(this.config.signedBy);
    if (!keys.length) return { ok: false, reason: `no usable trust key among ${missing.join(', ')}` };
    const result = await verifySignatures(new StoredRepository(this.storage, this.index, this.config.repository), digest, { authority: new KeyAuthority(keys) });
    for (const e of result.evidence) this.metrics.signatureVerifications.inc({ format: e.format, result: e.verified ? 'verified' : 'rejected' });
    if (result.signed) return { ok: true, signer: result.identities[0] };
    const why = result.evidence.length ? result.evidence.map((e) => e.reason).join('; ') : 'no signature';
    return { ok: false, reason: `not signed by ${this.config.signedBy.join(' or ')}: ${why}` };
  }

  private ageSeconds(): number | undefined {
    const built = this.loaded?.builtAt;
    return built === undefined ? undefined : Math.max(0, Math.round((this.now() - built) / 1000));
  }

  private isStale(): boolean {
    const age = this.ageSeconds();
    return age !== undefined && age > this.config.maxAgeSeconds;
  }

  private updateAge(): void {
    const age = this.ageSeconds();
    if (age === undefined) this.metrics.vulnDbAge.reset();
    else this.metrics.vulnDbAge.set(age);
  }

  status(): VulnDbStatus {
    this.updateAge();
    const l = this.loaded;
    const base = { repository: this.config.repository, stale: this.isStale(), lastCheck: this.lastCheck ? new Date(this.lastCheck).toISOString() : undefined };
    const inUse = l ? {
      tag: l.tag, digest: l.digest, ageSeconds: this.ageSeconds(), signature: l.signedBy ? 'verified' as const : 'not-required' as const,
      signedBy: l.signedBy, ecosystems: l.db.info().ecosystems, advisories: l.db.info().documents, loadedAt: new Date(l.loadedAt).toISOString(),
    } : {};
    // A refused newer database is reported even while an older trusted one stays in use.
    if (this.rejected) return { ...base, ...inUse, state: this.rejected.state, reason: `${this.rejected.digest}: ${this.rejected.reason}` };
    if (l) return { ...base, ...inUse, state: 'ready' };
    return { ...base, state: this.running ? 'loading' : 'none', reason: this.emptyReason };
  }
}
