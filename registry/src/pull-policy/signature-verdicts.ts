// Signature verdicts per (repository, digest, key set), verified once and
// cached. Any change to the repository's manifests or tags (a signature pushed
// or deleted, on this replica or another) drops its cached verdicts, so an
// image signed after a refused pull is accepted on the next one. Each verdict
// is also written to the metadata index for the API and the UI.
import type { RequireSignature } from '#contract/config/security.js';
import type { Logger } from '../log.js';
import type { Invalidation, MetadataIndex } from '../metadata/index.js';
import type { Metrics } from '../metrics/metrics.js';
import { StoredRepository } from '../scanning/content.js';
import type { TrustStore } from '../scanning/trust-store.js';
import { KeyAuthority } from '../security/signatures/authority.js';
import { verifySignatures, type VerificationResult } from '../security/signatures/verifier.js';
import { LruCache } from '../storage/lru-cache.js';
import type { RegistryStorage } from '../storage/registry-storage.js';

export interface SignatureVerdict {
  readonly signed: boolean;
  readonly keyset: string;
  /** Why not, when not signed. */
  readonly reason?: string;
  readonly result: VerificationResult;
}

interface Cached {
  readonly verdict: SignatureVerdict;
  readonly generation: number;
}

export class SignatureVerdicts {
  private readonly cache = new LruCache<Cached>(16_384);
  private readonly inflight = new Map<string, Promise<SignatureVerdict>>();
  private readonly generations = new Map<string, number>();
  private epoch = 0;
  private readonly unsubscribe: () => void;
  /** Verifications run (not served from the cache): what the cached-verdict benchmark checks. */
  verifications = 0;

  constructor(
    private readonly storage: RegistryStorage,
    private readonly index: MetadataIndex,
    private readonly trust: TrustStore,
    private readonly metrics: Metrics,
    private readonly log: Logger,
  ) {
    this.unsubscribe = index.invalidations.subscribe((events) => this.invalidate(events));
  }

  close(): void {
    this.unsubscribe();
  }

  private invalidate(events: readonly Invalidation[]): void {
    for (const e of events) {
      if (e.kind === 'all') this.epoch++;
      else if (e.kind !== 'link') this.generations.set(e.repo, (this.generations.get(e.repo) ?? 0) + 1);
    }
  }

  private generation(repo: string): number {
    // While other replicas' changes cannot be heard, nothing is answered from memory.
    if (!this.index.invalidations.connected) return NaN;
    return this.epoch * 1e9 + (this.generations.get(repo) ?? 0);
  }

  async verdict(repo: string, digest: string, requirement: Pick<RequireSignature, 'keys' | 'minSignatures'>): Promise<SignatureVerdict> {
    const { keys, missing } = this.trust.select(requirement.keys);
    const keyset = this.trust.keysetId(keys, requirement.minSignatures);
    const generation = this.generation(repo);
    const cacheKey = `${repo}\n${digest}\n${keyset}`;
    const hit = this.cache.get(cacheKey);
    if (hit && hit.generation === generation) return hit.verdict;
    let pending = this.inflight.get(cacheKey);
    if (!pending) {
      pending = this.verify(repo, digest, keys, missing, keyset, requirement.minSignatures).finally(() => this.inflight.delete(cacheKey));
      this.inflight.set(cacheKey, pending);
    }
    const verdict = await pending;
    if (!Number.isNaN(generation)) this.cache.set(cacheKey, { verdict, generation });
    return verdict;
  }

  private async verify(repo: string, digest: string, keys: ReturnType<TrustStore['select']>['keys'], missing: readonly string[], keyset: string, minSignatures: number): Promise<SignatureVerdict> {
    this.verifications++;
    const result = keys.length
      ? await verifySignatures(new StoredRepository(this.storage, this.index, repo), digest, { authority: new KeyAuthority(keys), minSignatures })
      : { digest, signed: false, identities: [], evidence: [] };
    for (const e of result.evidence) this.metrics.signatureVerifications.inc({ format: e.format, result: e.verified ? 'verified' : 'rejected' });
    if (!result.evidence.length) this.metrics.signatureVerifications.inc({ format: 'none', result: 'unsigned' });
    const verdict: SignatureVerdict = { signed: result.signed, keyset, result, ...(result.signed ? {} : { reason: reasonOf(result, keys.map((k) => k.name), missing, minSignatures) }) };
    this.index.putSignatureVerdict({ repo, digest, keyset, signed: result.signed, verdict: JSON.stringify(result), updatedAt: Date.now() })
      .catch((err: unknown) => this.log.warn({ msg: 'signature verdict not recorded', repo, digest, err: (err as Error).message }));
    return verdict;
  }
}

function reasonOf(result: VerificationResult, usable: readonly string[], missing: readonly string[], minSignatures: number): string {
  const wanted = `${minSignatures > 1 ? `${minSignatures} signatures` : 'a signature'} by ${[...usable, ...missing].join(' or ')}`;
  if (!usable.length) return `requires ${wanted}, but no such trusted key is configured or readable`;
  const verified = result.identities.length;
  if (!result.evidence.length) return `requires ${wanted}: ${result.digest} is not signed`;
  const why = [...new Set(result.evidence.filter((e) => !e.verified).map((e) => e.reason))].slice(0, 3).join('; ');
  return `requires ${wanted}: ${verified ? `only ${verified} trusted signer(s) (${result.identities.join(', ')})` : 'no valid signature'}${why ? ` (${why})` : ''}`;
}
